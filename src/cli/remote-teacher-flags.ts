// The flags of a model server teacher, shared by label, distill and tune, and their config keys
// (`teacherOptions.remote`): the protocol, LLM settings, client limits and the *name* of the
// API key's environment variable.
import { resolve } from 'node:path';
import type { RemoteTeacherConfig } from '../teachers/remote-config.ts';

/** The flags of a model server teacher (label, distill, tune). */
export interface RemoteTeacherFlags {
  teacherProtocol?: string;
  teacherModel?: string;
  teacherClasses?: number;
  teacherBatchSize?: number;
  teacherOutput?: 'logits' | 'probabilities';
  teacherId?: string;
  prompt?: string;
  system?: string;
  labels?: string;
  labelTokens?: string;
  topLogprobs?: number;
  apiKeyEnv?: string;
  concurrency?: number;
  rate?: number;
  tokensPerMinute?: number;
  timeout?: number;
  retries?: number;
  jsonTensors?: boolean;
}

/** A server teacher's flags → the config's `teacherOptions.remote` (undefined when none is set). */
export function remoteFlagsToConfig(f: RemoteTeacherFlags): RemoteTeacherConfig | undefined {
  const list = (s?: string) => s?.split(',').map((v) => v.trim());
  const remote = {
    protocol: f.teacherProtocol,
    model: f.teacherModel,
    prompt: f.prompt === undefined ? undefined : resolve(f.prompt),
    system: f.system,
    labels: list(f.labels),
    labelTokens: list(f.labelTokens),
    topLogprobs: f.topLogprobs,
    apiKeyEnv: f.apiKeyEnv,
    classes: f.teacherClasses,
    batchSize: f.teacherBatchSize,
    output: f.teacherOutput,
    id: f.teacherId,
    concurrency: f.concurrency,
    requestsPerSecond: f.rate,
    tokensPerMinute: f.tokensPerMinute,
    timeoutMs: f.timeout,
    retries: f.retries,
    binaryTensors: f.jsonTensors ? false : undefined,
  };
  const set = Object.entries(remote).filter(([, v]) => v !== undefined);
  return set.length > 0 ? Object.fromEntries(set) : undefined;
}
