// The single registry of distillation methods: adding a method is one file plus one line here.
import type { MethodFactory } from '../method.ts';
import { kd } from './kd.ts';
import { softCe } from './soft-ce.ts';
import { logitsMse } from './logits-mse.ts';
import { dkd } from './dkd.ts';
import { logitStd } from './logit-std.ts';
import { dist } from './dist.ts';
import { fitnets } from './fitnets.ts';
import { at } from './at.ts';
import { rkd } from './rkd.ts';
import { ctkd } from './ctkd.ts';

export const methods = {
  kd,
  'soft-ce': softCe,
  'logits-mse': logitsMse,
  dkd,
  'logit-std': logitStd,
  dist,
  fitnets,
  at,
  rkd,
  ctkd,
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
} satisfies Record<string, MethodFactory<any>>;

export type MethodName = keyof typeof methods;
export const methodNames = Object.keys(methods) as MethodName[];
export { kd, softCe, logitsMse, dkd, logitStd, dist, fitnets, at, rkd, ctkd };
