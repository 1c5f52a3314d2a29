// Remote teacher protocols, declared as data: each has a name (the --teacher-protocol value), a
// test that recognises its URLs, and a constructor. `remoteTeacher(spec)` picks the protocol a
// spec names (`openai:http://…`, `kserve-v2:http://…`) or whose URL shape it recognises.
import { usageError } from '../../errors.ts';
import { kserveV2Teacher } from './kserve-v2.ts';
import { openAiTeacher, type OpenAiTeacherOptions } from './openai.ts';
import type { RemoteTeacher, RemoteTeacherOptions } from './remote.ts';
import { tfServingTeacher, type TfServingOptions } from './tf-serving.ts';

export type RemoteTeacherSettings = Omit<RemoteTeacherOptions, 'url'> &
  Omit<TfServingOptions, 'url'> &
  Partial<Omit<OpenAiTeacherOptions, 'url'>>;

export interface TeacherProtocol {
  name: string;
  description: string;
  /** What its teachers read: tensors (default) or the texts of records (LLMs). */
  reads?: 'text';
  /** Does a bare URL look like this protocol's? */
  detect(url: string): boolean;
  create(url: string, settings: RemoteTeacherSettings): Promise<RemoteTeacher>;
}

export const teacherProtocols: Record<string, TeacherProtocol> = {
  'kserve-v2': {
    name: 'kserve-v2',
    description: 'KServe v2 / Open Inference Protocol (Triton, KServe, MLServer): …/v2/models/<m>',
    detect: (url) => /\/v2\/models\/[^/]+(\/versions\/[^/]+)?\/?$/.test(url),
    create: (url, s) => kserveV2Teacher({ ...s, url }),
  },
  'tf-serving': {
    name: 'tf-serving',
    description: 'TensorFlow Serving REST: …/v1/models/<m>',
    detect: (url) => /\/v1\/models\/[^/]+(\/versions\/[^/]+)?\/?$/.test(url),
    create: (url, s) => tfServingTeacher({ ...s, url }),
  },
  openai: {
    name: 'openai',
    description: 'OpenAI-compatible chat completions with logprobs (LLM teachers): …/v1',
    reads: 'text',
    detect: () => false,
    create: async (url, s) => {
      if (!s.model) throw usageError('an LLM teacher needs --teacher-model <name>');
      if (!s.prompt)
        throw usageError('an LLM teacher needs --prompt <file> (a template with {{text}})');
      if (!s.labels) throw usageError('an LLM teacher needs the label set (--labels a,b,…)');
      return openAiTeacher({ ...s, url, model: s.model, prompt: s.prompt, labels: s.labels });
    },
  },
};

/** True for `http(s)://…` and `<protocol>:http(s)://…` teacher specs. */
export function isRemoteTeacherSpec(spec: string): boolean {
  return /^([a-z0-9-]+:)?https?:\/\//.test(spec);
}

/** Resolves a spec to its protocol and URL (`protocol` overrides detection). */
export function resolveProtocol(
  spec: string,
  protocol?: string,
): { protocol: TeacherProtocol; url: string } {
  const match = /^([a-z0-9-]+):(https?:\/\/.*)$/.exec(spec);
  const url = match ? match[2] : spec;
  const name = protocol ?? match?.[1];
  const names = Object.keys(teacherProtocols).join(', ');
  if (name !== undefined) {
    if (!Object.hasOwn(teacherProtocols, name))
      throw usageError(`unknown teacher protocol '${name}' (allowed: ${names})`);
    return { protocol: teacherProtocols[name], url };
  }
  const found = Object.values(teacherProtocols).find((p) => p.detect(url));
  if (!found)
    throw usageError(
      `--teacher ${url}: cannot tell the protocol from the URL; pass --teacher-protocol <${names}>`,
    );
  return { protocol: found, url };
}

/** Connects to a remote teacher. */
export async function remoteTeacher(
  spec: string,
  settings: RemoteTeacherSettings & { protocol?: string } = {},
): Promise<RemoteTeacher> {
  const { protocol, url } = resolveProtocol(spec, settings.protocol);
  return protocol.create(url, settings);
}

export { HttpClient, parseRetryAfter, type HttpClientOptions, type ClientStats } from './client.ts';
export { kserveV2Teacher } from './kserve-v2.ts';
export { tfServingTeacher, type TfServingOptions } from './tf-serving.ts';
export {
  openAiTeacher,
  isTextTeacher,
  labelLogprobs,
  renderPrompt,
  type OpenAiTeacherOptions,
  type TextTeacher,
  type LabelStats,
} from './openai.ts';
export type { RemoteTeacher, RemoteTeacherOptions } from './remote.ts';
