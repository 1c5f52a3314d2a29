// Stratified, seeded train / validation / test split of labelled examples, shared by the source
// kinds whose data comes without a fixed split (image folders, tables), and the validation share
// they use (their validationFraction, or the --validation-size given). Each class is shuffled
// with the seed and cut by the fractions, so every split keeps the class proportions.
import { dataError, usageError } from '../../errors.ts';
import { createRng, deriveSeed, permutation } from '../../random.ts';
import type { SplitName } from '../dataset.ts';

export interface SplitFractions {
  /** Fraction of each class held out for validation (model selection). */
  validationFraction: number;
  /** Fraction of each class held out for the final test table. */
  testFraction: number;
  seed: number;
}

/** Row indices per split; each split's order is shuffled (so a limit takes a random subset). */
export function stratifiedSplit(
  labels: ArrayLike<number>,
  classNames: string[],
  f: SplitFractions,
): Record<SplitName, number[]> {
  const byClass: number[][] = classNames.map(() => []);
  for (let i = 0; i < labels.length; i++) byClass[labels[i]].push(i);
  const out: Record<SplitName, number[]> = { train: [], validation: [], test: [] };
  byClass.forEach((rows, c) => {
    const order = permutation(rows.length, createRng(deriveSeed(f.seed, 'split', c)));
    const nTest = Math.round(rows.length * f.testFraction);
    const nValidation = Math.round(rows.length * f.validationFraction);
    if (rows.length - nTest - nValidation < 1)
      throw dataError(
        `class '${classNames[c]}' has ${rows.length} example(s): too few to split ${f.testFraction} test / ${f.validationFraction} validation and keep one for training (add examples or lower the fractions)`,
      );
    order.forEach((o, k) => {
      const split = k < nTest ? 'test' : k < nTest + nValidation ? 'validation' : 'train';
      out[split].push(rows[o]);
    });
  });
  for (const name of ['train', 'validation', 'test'] as const) {
    const rows = out[name];
    const order = permutation(rows.length, createRng(deriveSeed(f.seed, 'split-order', name)));
    out[name] = Array.from(order, (o) => rows[o]);
  }
  return out;
}

/**
 * The validation fraction of a stratified split: the kind's `validationFraction`, or, when the
 * user gave `--validation-size n` (config `validationSize`), n / total — so about n examples
 * (each class rounds its own share). Refused where the data brings its own validation split.
 */
export function validationShare(
  o: { validationSize?: number; validationFraction: number },
  total: number,
  where: string,
  ownValidation?: string,
): number {
  if (o.validationSize === undefined) return o.validationFraction;
  if (ownValidation)
    throw usageError(
      `--validation-size ${o.validationSize}: ${where} has its own validation split (${ownValidation}); drop --validation-size`,
    );
  if (o.validationSize >= total)
    throw usageError(
      `--validation-size ${o.validationSize}: ${where} has ${total} labelled examples to split; give fewer (or --data-option validationFraction=0.1)`,
    );
  return o.validationSize / total;
}

/** Sorted distinct values: numerically when all are numbers, else by code point. */
export function sortedClassNames(values: Iterable<string>): string[] {
  const names = [...new Set(values)];
  const numeric = names.every((n) => n.trim() !== '' && Number.isFinite(Number(n)));
  return numeric
    ? names.sort((a, b) => Number(a) - Number(b))
    : names.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Checks a dataset has at least two classes (one-line error otherwise). */
export function checkClassCount(classNames: string[], where: string): void {
  if (classNames.length < 2)
    throw dataError(
      `${where}: found ${classNames.length === 0 ? 'no classes' : `a single class '${classNames[0]}'`}; classification needs at least two`,
    );
}
