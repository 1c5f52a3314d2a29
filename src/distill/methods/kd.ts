// Knowledge distillation, Hinton, Vinyals & Dean 2015, "Distilling the Knowledge in a Neural
// Network": hardWeight·CE(y, s) + softWeight·T²·KL(softmax(t/T) ‖ softmax(s/T)).
// T² scaling, the reduction and KL vs soft cross-entropy are explicit (libraries disagree);
// `kdPresets` names other libraries' settings of them, each with its source.
import { z } from 'zod';
import { tf } from '../../tf.ts';
import { crossEntropy, klDiv, reductions, softCrossEntropy } from '../../losses/index.ts';
import { defineMethod } from '../method.ts';

export interface KdParams {
  /** Softmax temperature T for teacher and student. */
  temperature: number;
  /** Weight of the cross-entropy with the true labels. */
  hardWeight: number;
  /** Weight of the soft-target term. */
  softWeight: number;
  /** Multiply the soft term by T² so its gradients keep their scale as T changes (Hinton §2). */
  scaleByTemperatureSquared: boolean;
  /** Reduction of the soft term: 'batchmean' (the true KL) | 'mean' | 'sum'. */
  reduction: 'batchmean' | 'mean' | 'sum';
  /** 'kl' = KL divergence; 'cross-entropy' = −Σ p log q as in the paper (same gradient). */
  softLoss: 'kl' | 'cross-entropy';
}

export const kdSchema = z
  .object({
    temperature: z.number().positive(),
    hardWeight: z.number().min(0),
    softWeight: z.number().min(0),
    scaleByTemperatureSquared: z.boolean(),
    reduction: z.enum(reductions as ['batchmean', 'mean', 'sum']),
    softLoss: z.enum(['kl', 'cross-entropy']),
  })
  .strict();

/**
 * Other libraries' conventions as parameter sets (applied over the defaults above; keys a preset
 * leaves out, often the temperature, keep kd's defaults). The soft term of each preset equals that
 * library's formula: checked against PyTorch re-statements in scripts/golden/methods.py.
 */
export const kdPresets = {
  /**
   * Hinton, Vinyals & Dean 2015, §2: the soft cross-entropy −Σ p log q (not KL: larger by the
   * teacher's entropy, same gradient), multiplied by T², per case, averaged over the batch. The
   * paper gives no weight pair ("a considerably lower weight on the second objective", the hard
   * one).
   */
  hinton: {
    scaleByTemperatureSquared: true,
    reduction: 'batchmean',
    softLoss: 'cross-entropy',
  },
  /**
   * mdistiller (megvii-research), mdistiller/engine/cfg.py: KD.TEMPERATURE 4, CE_WEIGHT 0.1,
   * KD_WEIGHT 0.9; distillers/KD.py: kl_div(reduction='none').sum(1).mean() · T². RepDistiller
   * (the CRD code) uses the same form.
   */
  mdistiller: {
    temperature: 4,
    hardWeight: 0.1,
    softWeight: 0.9,
    scaleByTemperatureSquared: true,
    reduction: 'batchmean',
    softLoss: 'kl',
  },
  /**
   * TextBrewer (airaria), DistillationConfig defaults: temperature 4, hard_label_weight 0,
   * kd_loss_weight 1, kd_loss_type 'ce'; losses.kd_ce_loss = −(p_T · log_softmax(s/T)).sum(−1)
   * .mean(), never multiplied by T².
   */
  textbrewer: {
    temperature: 4,
    hardWeight: 0,
    softWeight: 1,
    scaleByTemperatureSquared: false,
    reduction: 'batchmean',
    softLoss: 'cross-entropy',
  },
  /**
   * torchdistill (yoshitomo-matsubara), losses/mid_level.py KDLoss: α·CE + (1 − α)·T²·KL with
   * KLDivLoss(reduction='batchmean'); α = 0.5 as in configs/sample/ilsvrc2012/kd/
   * resnet18_from_resnet34.yaml (which also sets temperature 1.0, where T² is moot; kd's 4 is
   * kept). This equals kd's defaults. T² is applied ONLY when α is set and non-zero: with α unset
   * or 0 the loss is the bare KL — that is `torchdistill-soft-only` below. A preset cannot be
   * conditional, hence two.
   */
  torchdistill: {
    hardWeight: 0.5,
    softWeight: 0.5,
    scaleByTemperatureSquared: true,
    reduction: 'batchmean',
    softLoss: 'kl',
  },
  /** torchdistill's KDLoss with α unset or 0: KLDivLoss(batchmean) alone, no T², no hard term. */
  'torchdistill-soft-only': {
    hardWeight: 0,
    softWeight: 1,
    scaleByTemperatureSquared: false,
    reduction: 'batchmean',
    softLoss: 'kl',
  },
  /**
   * The Keras example (keras.io/examples/vision/knowledge_distillation): `alpha` weights the HARD
   * (student) loss: alpha·CE + (1 − alpha)·KL·T², compiled with alpha=0.1, temperature=10;
   * keras.losses.KLDivergence sums over classes and averages over the batch. The T² factor was
   * added in a later revision (the 2020 original had none, and swapped teacher and student in
   * its constructor). Keras clips probabilities to [1e-7, 1] before the log; this does not.
   */
  keras: {
    temperature: 10,
    hardWeight: 0.1,
    softWeight: 0.9,
    scaleByTemperatureSquared: true,
    reduction: 'batchmean',
    softLoss: 'kl',
  },
  /**
   * TAKD (Mirzadeh et al. 2020, imirzadeh/Teacher-Assistant-Knowledge-Distillation, train.py):
   * (1 − λ)·CE + λ·T²·nn.KLDivLoss()(…), whose default reduction 'mean' divides by batch AND
   * classes: the soft term is 1/classes of the true KL (a known pitfall, kept here to compare
   * against). T and λ were searched per experiment (NNI): the weights stay at kd's defaults.
   */
  'mean-reduction-pitfall': {
    scaleByTemperatureSquared: true,
    reduction: 'mean',
    softLoss: 'kl',
  },
} satisfies Record<string, Partial<KdParams>>;

export const kd = defineMethod<KdParams>({
  name: 'kd',
  description:
    "Hinton's knowledge distillation: hard labels + temperature-softened teacher outputs",
  paper: 'Hinton, Vinyals & Dean 2015, Distilling the Knowledge in a Neural Network',
  defaults: {
    temperature: 4,
    hardWeight: 0.5,
    softWeight: 0.5,
    scaleByTemperatureSquared: true,
    reduction: 'batchmean',
    softLoss: 'kl',
  },
  schema: kdSchema,
  presets: kdPresets,
  losses({ studentLogits, teacherLogits, labels, labelSmoothing }, p) {
    return tf.tidy(() => {
      const options = { temperature: p.temperature, reduction: p.reduction };
      const soft =
        p.softLoss === 'kl'
          ? klDiv(teacherLogits, studentLogits, options)
          : softCrossEntropy(teacherLogits, studentLogits, options);
      const scale = p.softWeight * (p.scaleByTemperatureSquared ? p.temperature ** 2 : 1);
      return {
        hard: tf.mul(p.hardWeight, crossEntropy(labels, studentLogits, labelSmoothing)),
        soft: tf.mul(scale, soft),
      };
    });
  },
});
