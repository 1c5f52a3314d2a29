// How a run config holds a model server teacher (`distill --teacher http://… --teacher-protocol …`):
// the protocol, the LLM settings, the client's limits and the *name* of the API key's environment
// variable — never the key, so the config and the run record can be written anywhere.
import { z } from 'zod';

const positiveInt = z.number().int().positive();

export const remoteTeacherSchema = z
  .object({
    protocol: z.string().min(1).optional(),
    model: z.string().min(1).optional(),
    /** The prompt template's file (LLM teachers). */
    prompt: z.string().min(1).optional(),
    system: z.string().optional(),
    labels: z.array(z.string().min(1)).min(2).optional(),
    labelTokens: z.array(z.string().min(1)).min(2).optional(),
    topLogprobs: positiveInt.optional(),
    apiKeyEnv: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name')
      .optional(),
    classes: z.number().int().min(2).optional(),
    batchSize: positiveInt.optional(),
    output: z.enum(['logits', 'probabilities']).optional(),
    id: z.string().min(1).optional(),
    concurrency: positiveInt.optional(),
    requestsPerSecond: z.number().positive().optional(),
    tokensPerMinute: z.number().positive().optional(),
    timeoutMs: positiveInt.optional(),
    retries: z.number().int().min(0).optional(),
    /** KServe v2: false sends JSON even to a server with the binary tensor extension. */
    binaryTensors: z.boolean().optional(),
  })
  .strict();

export type RemoteTeacherConfig = z.infer<typeof remoteTeacherSchema>;
