// Text → fixed-length token ids, fitted on the training split and saved with the model. Two kinds,
// both plain JS with no Node or DOM import so the browser runs this very module and gets the same
// ids: 'words' (a frequency-ranked word vocabulary; unknown words hashed into a few buckets) and
// 'char-ngrams' (fastText-style hashed character n-grams of each word, robust to misspellings).
// Hand-written because @huggingface/tokenizers 0.2 only *loads* tokenizer.json files (no trainer)
// and no pretrained vocabulary is reachable offline; a word list and a hash are all we need.
// Ids: 0 = padding, 1 = unknown; the rest depend on the kind (see vocabularySize).

/** A word vocabulary: id = 2 + rank; an unknown word → 2 + |vocabulary| + hash % oovBuckets (or 1). */
export interface WordsTokenizer {
  type: 'words';
  vocabulary: string[];
  oovBuckets: number;
  /** Longest word kept (longer ones are cut), against pathological strings. */
  maxWordLength: number;
}

/** fastText subwords: '<word>' and its character n-grams (minN…maxN), hashed → 2 + hash % buckets. */
export interface CharNgramsTokenizer {
  type: 'char-ngrams';
  minN: number;
  maxN: number;
  buckets: number;
  maxWordLength: number;
}

export type TokenizerSpec = WordsTokenizer | CharNgramsTokenizer;

export interface FitTokenizerOptions {
  type?: 'words' | 'char-ngrams';
  /** words: at most this many words (most frequent first). Default 10,000. */
  vocabularySize?: number;
  /** words: keep words seen at least this often in training. Default 2. */
  minCount?: number;
  /** words: hash buckets for unknown words (0 = all map to id 1). Default 500. */
  oovBuckets?: number;
  /** char-ngrams: buckets (default 50,000) and n range (default 3…5). */
  buckets?: number;
  minN?: number;
  maxN?: number;
  maxWordLength?: number;
}

export const PAD_ID = 0;
export const UNKNOWN_ID = 1;

/** Words (letters/digits runs, lower-cased) and single symbols ('$', '!'): the pre-tokenizer. */
export function splitWords(text: string, maxWordLength = 30): string[] {
  const out: string[] = [];
  for (const m of text.toLowerCase().matchAll(/[\p{L}\p{N}]+|[^\s\p{L}\p{N}]/gu)) {
    out.push(m[0].length > maxWordLength ? m[0].slice(0, maxWordLength) : m[0]);
  }
  return out;
}

/** FNV-1a 32-bit over UTF-16 code units: identical in every JS engine. */
export function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Fits a tokenizer on training texts only (never validation or test). */
export function fitTokenizer(
  texts: Iterable<string>,
  options: FitTokenizerOptions = {},
): TokenizerSpec {
  const maxWordLength = options.maxWordLength ?? 30;
  if ((options.type ?? 'words') === 'char-ngrams') {
    const minN = options.minN ?? 3;
    const maxN = options.maxN ?? 5;
    if (!(minN >= 1 && maxN >= minN))
      throw new Error(`char n-grams need 1 <= minN <= maxN, got ${minN}…${maxN}`);
    return { type: 'char-ngrams', minN, maxN, buckets: options.buckets ?? 50_000, maxWordLength };
  }
  const counts = new Map<string, number>();
  for (const text of texts)
    for (const w of splitWords(text, maxWordLength)) counts.set(w, (counts.get(w) ?? 0) + 1);
  const minCount = options.minCount ?? 2;
  // Count descending, then code-unit order: deterministic, no locale.
  const ranked = [...counts.entries()]
    .filter(([, c]) => c >= minCount)
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .slice(0, options.vocabularySize ?? 10_000)
    .map(([w]) => w);
  return {
    type: 'words',
    vocabulary: ranked,
    oovBuckets: options.oovBuckets ?? 500,
    maxWordLength,
  };
}

/** Embedding rows a model needs for this tokenizer's ids (padding and unknown included). */
export function vocabularySize(spec: TokenizerSpec): number {
  return spec.type === 'words' ? 2 + spec.vocabulary.length + spec.oovBuckets : 2 + spec.buckets;
}

/** Checks a parsed description (e.g. from tokenizer.json); throws a one-line message. */
export function checkTokenizerSpec(value: unknown): TokenizerSpec {
  const v = value as Record<string, unknown> | null;
  const int = (x: unknown, min: number) => Number.isInteger(x) && (x as number) >= min;
  if (
    v &&
    v.type === 'words' &&
    Array.isArray(v.vocabulary) &&
    int(v.oovBuckets, 0) &&
    int(v.maxWordLength, 1) &&
    (v.vocabulary as unknown[]).every((w) => typeof w === 'string')
  )
    return v as unknown as WordsTokenizer;
  if (
    v &&
    v.type === 'char-ngrams' &&
    int(v.minN, 1) &&
    int(v.maxN, (v.minN as number) ?? 1) &&
    int(v.buckets, 1) &&
    int(v.maxWordLength, 1)
  )
    return v as unknown as CharNgramsTokenizer;
  throw new Error(
    `not a tokenizer description (expected type 'words' with a vocabulary or 'char-ngrams' with buckets), got ${JSON.stringify(value)?.slice(0, 120)}`,
  );
}

/** A tokenizer ready to encode: the spec plus its lookup table. */
export interface Tokenizer {
  spec: TokenizerSpec;
  /** Token ids of one text, without padding (any length). */
  ids(text: string): number[];
  /** Ids padded with 0 / truncated to `length`, written at `out[offset…]`. */
  encode(text: string, length: number, out?: Int32Array, offset?: number): Int32Array;
}

/** Marks an id that stands for no known word (the unknown id, a hashed unknown word) in `decodeWords`. */
export const UNKNOWN_WORD = '[UNK]';

/**
 * Word ids back to text, for a teacher that reads texts (an LLM labelling augmented copies):
 * vocabulary words joined by spaces, `[UNK]` for the unknown id and hashed unknown words (their
 * word is not recoverable), padding dropped. Lower-cased and re-spaced, as splitWords left it.
 */
export function decodeWords(spec: WordsTokenizer, ids: ArrayLike<number>): string {
  const words: string[] = [];
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i];
    if (id === PAD_ID) continue;
    const rank = id - 2;
    words.push(rank >= 0 && rank < spec.vocabulary.length ? spec.vocabulary[rank] : UNKNOWN_WORD);
  }
  return words.join(' ');
}

export function createTokenizer(spec: TokenizerSpec): Tokenizer {
  let ids: (text: string) => number[];
  if (spec.type === 'words') {
    const index = new Map<string, number>();
    spec.vocabulary.forEach((w, i) => index.set(w, i + 2));
    const oovBase = 2 + spec.vocabulary.length;
    ids = (text) =>
      splitWords(text, spec.maxWordLength).map(
        (w) =>
          index.get(w) ??
          (spec.oovBuckets > 0 ? oovBase + (fnv1a(w) % spec.oovBuckets) : UNKNOWN_ID),
      );
  } else {
    ids = (text) => {
      const out: number[] = [];
      for (const w of splitWords(text, spec.maxWordLength)) {
        const word = `<${w}>`;
        out.push(2 + (fnv1a(word) % spec.buckets));
        for (let n = spec.minN; n <= spec.maxN; n++)
          for (let i = 0; i + n <= word.length; i++) {
            if (n === word.length) continue; // the whole word is already in
            out.push(2 + (fnv1a(word.slice(i, i + n)) % spec.buckets));
          }
      }
      return out;
    };
  }
  return {
    spec,
    ids,
    encode(text, length, out = new Int32Array(length), offset = 0) {
      const all = ids(text);
      const n = Math.min(all.length, length);
      for (let i = 0; i < n; i++) out[offset + i] = all[i];
      out.fill(PAD_ID, offset + n, offset + length);
      return out;
    },
  };
}
