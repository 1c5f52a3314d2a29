// Names of the ensemble combination rules (see ensemble.ts), apart so config can list them
// without loading TensorFlow.js.
export const combineRules = ['mean-logits', 'mean-probs', 'confidence'] as const;
export type CombineRule = (typeof combineRules)[number];
