// The single registry of distillation methods: adding a method is one file plus one line here.
import type { MethodFactory } from '../method.ts';
import { kd } from './kd.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const methods = { kd } satisfies Record<string, MethodFactory<any>>;

export type MethodName = keyof typeof methods;
export const methodNames = Object.keys(methods) as MethodName[];
export { kd };
