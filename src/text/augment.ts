// Transfer-set augmentation for text distillation (Tang et al. 2019, "Distilling Task-Specific
// Knowledge from BERT into Simple Neural Networks", §3.2), on token ids: each copy of a training
// example masks tokens (→ the unknown id, our [MASK]), swaps neighbouring tokens, and sometimes
// keeps only a random n-gram. The copies are unlabelled: the teacher labels them and only the
// distilled student learns from them. Seeded, so the set is fixed and the teacher's logits cache.
// Leaves out: Tang et al.'s POS-guided word replacement (no tagger here); neighbour swaps stand in.
import { createRng } from '../random.ts';
import { PAD_ID, UNKNOWN_ID } from './tokenizer.ts';

export interface TokenAugmentOptions {
  /** Augmented copies per training example (Tang et al. used 20). */
  copies: number;
  /** Per token: replace with the unknown id (Tang et al.: p_mask = 0.1). */
  maskProbability?: number;
  /** Per token: swap with the next token (stands in for p_pos = 0.1). */
  swapProbability?: number;
  /** Per copy: keep only a random n-gram, n uniform in 1…maxNgram (p_ng = 0.25, n ≤ 5). */
  ngramProbability?: number;
  maxNgram?: number;
  seed: number;
}

export const TANG_DEFAULTS = {
  maskProbability: 0.1,
  swapProbability: 0.1,
  ngramProbability: 0.25,
  maxNgram: 5,
};

/**
 * `copies` augmented versions of every row of `ids` ([count, length], 0-padded), as
 * [count · copies, length] (copy k of row r at row r · copies + k), padding kept at the end.
 */
export function augmentTokens(
  ids: Int32Array,
  count: number,
  length: number,
  options: TokenAugmentOptions,
): Int32Array {
  const o = { ...TANG_DEFAULTS, ...options };
  const rng = createRng(o.seed);
  const out = new Int32Array(count * o.copies * length); // zeros = padding
  const tokens: number[] = [];
  for (let r = 0; r < count; r++) {
    const row = ids.subarray(r * length, (r + 1) * length);
    let n = row.indexOf(PAD_ID);
    if (n < 0) n = length;
    for (let k = 0; k < o.copies; k++) {
      tokens.length = 0;
      for (let i = 0; i < n; i++) tokens.push(rng() < o.maskProbability ? UNKNOWN_ID : row[i]);
      for (let i = 0; i + 1 < n; i++)
        if (rng() < o.swapProbability) [tokens[i], tokens[i + 1]] = [tokens[i + 1], tokens[i]];
      let start = 0;
      let end = n;
      if (n > 1 && rng() < o.ngramProbability) {
        const size = Math.min(n, 1 + Math.floor(rng() * o.maxNgram));
        start = Math.floor(rng() * (n - size + 1));
        end = start + size;
      }
      const offset = (r * o.copies + k) * length;
      for (let i = start; i < end; i++) out[offset + i - start] = tokens[i];
    }
  }
  return out;
}
