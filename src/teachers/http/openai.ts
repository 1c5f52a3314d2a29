// An LLM as a teacher through an OpenAI-compatible chat completions API: each text is put into a
// prompt template, the model answers one token with `logprobs` / `top_logprobs`, and the
// log-probabilities of the label tokens, renormalised over the label set, become the soft target.
// The ceiling: the API returns only the top k tokens (OpenAI allows k <= 20). A label whose token is
// not among them gets a floor: the smallest returned log-probability minus a margin (an upper
// bound on its true value); every floored label is counted in `labelStats()` and the report.
// Leaves out: multi-token labels (use labels whose first token differs), batching several texts in
// one request (the API has none: concurrency does the work), completions (non-chat) endpoints.
import { createHash } from 'node:crypto';
import { modelError } from '../../errors.ts';
import type { Tensor } from '../../tf.ts';
import type { TeacherRecord } from '../teacher.ts';
import { HttpClient, type ClientStats, type HttpClientOptions } from './client.ts';
import { splitModelUrl, type RemoteTeacher } from './remote.ts';

export interface OpenAiTeacherOptions extends Omit<HttpClientOptions, 'baseUrl'> {
  /** API root, e.g. http://127.0.0.1:8080/v1 (…/chat/completions is appended). */
  url: string;
  model: string;
  /** Class names in class order. */
  labels: string[];
  /** The token that stands for each label (default: the label itself). */
  labelTokens?: string[];
  /** User message template: `{{text}}` is the example, `{{labels}}` the label tokens joined. */
  prompt: string;
  system?: string;
  /** Tokens returned per answer (default 20, OpenAI's maximum). */
  topLogprobs?: number;
  /** Nats below the smallest returned log-probability for a label not returned (default 1). */
  missingMargin?: number;
  /** Compare tokens ignoring case (default true). */
  ignoreCase?: boolean;
  id?: string;
}

export interface LabelStats {
  texts: number;
  /** Texts where at least one label was not among the top-k tokens. */
  textsWithMissingLabel: number;
  /** Texts where no label was returned at all (their soft target is uniform). */
  textsWithNoLabel: number;
  /** Per label: how often it was floored. */
  missing: Record<string, number>;
}

/** A teacher that reads texts rather than tensors (an LLM). */
export interface TextTeacher extends RemoteTeacher {
  readonly reads: 'text';
  /** Row-major [texts, classes] logits (log-probabilities renormalised over the labels). */
  textLogits(texts: string[]): Promise<Float32Array>;
  labelStats(): LabelStats;
}

export const isTextTeacher = (t: unknown): t is TextTeacher =>
  typeof t === 'object' && t !== null && (t as TextTeacher).reads === 'text';

interface TopLogprob {
  token: string;
  logprob: number;
}

/** Fills the template. */
export function renderPrompt(template: string, text: string, labelTokens: string[]): string {
  return template.split('{{labels}}').join(labelTokens.join(', ')).split('{{text}}').join(text);
}

/**
 * Label log-probabilities from one answer's top tokens, renormalised over the labels; labels not
 * returned get (smallest returned log-prob − margin). Returns the logits and which were floored.
 */
export function labelLogprobs(
  top: TopLogprob[],
  labelTokens: string[],
  options: { margin: number; ignoreCase: boolean },
): { logits: Float64Array; missing: number[] } {
  const norm = (t: string) => {
    const s = t.replace(/^[\s\u2581\u0120]+/, '').trimEnd(); // leading space / ▁ / Ġ markers
    return options.ignoreCase ? s.toLowerCase() : s;
  };
  const wanted = labelTokens.map(norm);
  const sums = new Float64Array(labelTokens.length).fill(-Infinity);
  let smallest = Infinity;
  for (const { token, logprob } of top) {
    smallest = Math.min(smallest, logprob);
    const i = wanted.indexOf(norm(token));
    // ' spam' and 'Spam' are different tokens for the same label: their probabilities add.
    if (i >= 0) sums[i] = logAddExp(sums[i], logprob);
  }
  const floor = smallest - options.margin;
  const missing: number[] = [];
  for (let i = 0; i < sums.length; i++) {
    if (sums[i] === -Infinity) {
      sums[i] = floor;
      missing.push(i);
    }
  }
  let lse = -Infinity;
  for (const v of sums) lse = logAddExp(lse, v);
  for (let i = 0; i < sums.length; i++) sums[i] -= lse;
  return { logits: sums, missing };
}

function logAddExp(a: number, b: number): number {
  if (a === -Infinity) return b;
  if (b === -Infinity) return a;
  const m = Math.max(a, b);
  return m + Math.log(Math.exp(a - m) + Math.exp(b - m));
}

/** Creates the teacher (no request is made until texts are labelled). */
export function openAiTeacher(options: OpenAiTeacherOptions): TextTeacher {
  const { origin, path } = splitModelUrl(options.url);
  const labels = options.labels;
  if (labels.length < 2)
    throw modelError(`an LLM teacher needs at least 2 labels, got ${labels.length}`);
  const labelTokens = options.labelTokens ?? labels;
  if (labelTokens.length !== labels.length)
    throw modelError(
      `${labelTokens.length} label tokens for ${labels.length} labels: give one token per label`,
    );
  const k = options.topLogprobs ?? 20;
  if (!Number.isInteger(k) || k < 1) throw modelError(`top_logprobs must be >= 1, got ${k}`);
  const margin = options.missingMargin ?? 1;
  const ignoreCase = options.ignoreCase ?? true;
  if (!options.prompt.includes('{{text}}'))
    throw modelError('the prompt template has no {{text}} placeholder: where does the example go?');
  const client = new HttpClient({ ...options, baseUrl: origin + path });
  const who = `LLM teacher ${origin}${path} (${options.model})`;
  const stats: LabelStats = {
    texts: 0,
    textsWithMissingLabel: 0,
    textsWithNoLabel: 0,
    missing: Object.fromEntries(labels.map((l) => [l, 0])),
  };
  const settingsHash = createHash('sha256')
    .update(
      JSON.stringify([
        options.prompt,
        options.system ?? '',
        labels,
        labelTokens,
        k,
        margin,
        ignoreCase,
      ]),
    )
    .digest('hex')
    .slice(0, 16);

  const one = async (text: string): Promise<Float64Array> => {
    const content = renderPrompt(options.prompt, text, labelTokens);
    const messages = [
      ...(options.system ? [{ role: 'system', content: options.system }] : []),
      { role: 'user', content },
    ];
    const response = (await client.json('/chat/completions', {
      body: {
        model: options.model,
        messages,
        max_tokens: 1,
        temperature: 0,
        logprobs: true,
        top_logprobs: k,
      },
      // ~4 characters per token for English text; the rate limit is an estimate, not a bill.
      tokens: Math.ceil((content.length + (options.system?.length ?? 0)) / 4) + 1,
    })) as {
      choices?: { logprobs?: { content?: { top_logprobs?: TopLogprob[] }[] } }[];
    };
    const top = response?.choices?.[0]?.logprobs?.content?.[0]?.top_logprobs;
    if (!Array.isArray(top) || top.length === 0)
      throw modelError(
        `${who}: the answer has no choices[0].logprobs.content[0].top_logprobs (does the server support logprobs?)`,
      );
    for (const t of top) {
      if (typeof t?.token !== 'string' || typeof t.logprob !== 'number' || !(t.logprob <= 0))
        throw modelError(
          `${who}: a top_logprobs entry is not {token, logprob <= 0}: ${JSON.stringify(t)}`,
        );
    }
    const { logits, missing } = labelLogprobs(top, labelTokens, { margin, ignoreCase });
    stats.texts++;
    if (missing.length > 0) stats.textsWithMissingLabel++;
    if (missing.length === labels.length) stats.textsWithNoLabel++;
    for (const i of missing) stats.missing[labels[i]]++;
    return logits;
  };

  const record = (): TeacherRecord => ({
    kind: 'openai',
    source: `${origin}${path}`,
    classes: labels.length,
    model: options.model,
    labels,
    labelTokens,
    topLogprobs: k,
    missingMargin: margin,
    labelStats: { ...stats, missing: { ...stats.missing } },
  });
  return {
    kind: 'openai',
    reads: 'text',
    classes: labels.length,
    batchSize: 16,
    identity: async () =>
      options.id !== undefined
        ? `openai:${options.id}:${settingsHash}`
        : `openai:${origin}${path}:${options.model}:${settingsHash}`,
    logits: async (_x: Tensor) => {
      throw modelError(
        `${who} reads texts, not tensors: label a text dataset with 'distillery label --data <file.jsonl>' and distil from the logit store`,
      );
    },
    textLogits: async (texts: string[]) => {
      const rows = await Promise.all(texts.map(one));
      const out = new Float32Array(texts.length * labels.length);
      rows.forEach((r, i) => out.set(r, i * labels.length));
      return out;
    },
    labelStats: () => ({ ...stats, missing: { ...stats.missing } }),
    describe: record,
    stats: (): ClientStats => client.stats,
    dispose: () => {},
  };
}
