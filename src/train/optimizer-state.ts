// Optimizer state for checkpoints: everything an optimizer carries from one step to the next, so
// a restored optimizer continues bit for bit where the saved one stopped. tfjs' getWeights() /
// setWeights() are not enough for Adam: setWeights recomputes the bias-correction powers as
// pow(beta, t + 1), while training accumulates them by a float32 multiplication per step (tfjs and
// the fused native Adam alike), and the two differ in the last bits. Those powers are saved here
// as extra named tensors and assigned back after setWeights.
import { tf, type Tensor } from '../tf.ts';

/** A named tensor, as tfjs' Optimizer.getWeights() returns them. */
export type NamedTensor = { name: string; tensor: Tensor };

/** State an optimizer class keeps outside getWeights(), declared per class (subclasses match). */
interface ExtraState {
  owner: abstract new (...args: never[]) => tf.Optimizer;
  /** Private fields (tfjs declares them private) holding float32 scalar variables. */
  fields: string[];
}

const extraStates: ExtraState[] = [{ owner: tf.AdamOptimizer, fields: ['accBeta1', 'accBeta2'] }];

/** Prefix of the extra entries in a saved state (never a variable name: tfjs names have no ':'). */
export const EXTRA_PREFIX = 'distillery:';

function extraFields(optimizer: tf.Optimizer): string[] {
  // Not `instanceof`: tfjs' Optimizer[Symbol.hasInstance] accepts any object with minimize().
  return extraStates
    .filter((s) => Object.prototype.isPrototypeOf.call(s.owner.prototype, optimizer))
    .flatMap((s) => s.fields);
}

/** The optimizer's full state: tfjs' weights (iterations, slots) then the extra scalars. */
export async function getOptimizerState(optimizer: tf.Optimizer): Promise<NamedTensor[]> {
  const weights = await optimizer.getWeights();
  const fields = optimizer as unknown as Record<string, tf.Variable>;
  return [
    ...weights,
    ...extraFields(optimizer).map((f) => ({ name: EXTRA_PREFIX + f, tensor: fields[f] })),
  ];
}

/**
 * Restores a state written by getOptimizerState. A state without the extra entries (an older
 * checkpoint) restores as tfjs does, which is close but not bit-exact for Adam.
 */
export async function setOptimizerState(
  optimizer: tf.Optimizer,
  state: NamedTensor[],
): Promise<void> {
  const extras = new Map<string, Tensor>();
  const weights: NamedTensor[] = [];
  for (const entry of state) {
    if (entry.name.startsWith(EXTRA_PREFIX))
      extras.set(entry.name.slice(EXTRA_PREFIX.length), entry.tensor);
    else weights.push(entry);
  }
  await optimizer.setWeights(weights);
  const fields = optimizer as unknown as Record<string, tf.Variable>;
  for (const f of extraFields(optimizer)) {
    const saved = extras.get(f);
    if (saved) fields[f].assign(saved);
  }
}
