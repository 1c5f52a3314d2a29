// Learning-rate schedules: constant, step / multi-step, cosine or linear decay, each optionally
// after a linear warm-up, evaluated per epoch or per step. A schedule is a pure function of where
// training stands (epoch, batch), never of a counter, so a resumed run uses the same rates.
// Leaves out: schedules driven by the validation metric (reduce-on-plateau).
import { z } from 'zod';
import { usageError } from '../errors.ts';

export const lrScheduleShapes = ['constant', 'step', 'cosine', 'linear'] as const;

export const lrScheduleSchema = z
  .object({
    /** After warm-up: constant | step (×gamma at each milestone) | cosine | linear decay. */
    shape: z.enum(lrScheduleShapes),
    /** 'epoch': one rate per epoch (PyTorch's scheduler.step() per epoch); 'step': per batch. */
    per: z.enum(['epoch', 'step']).optional(),
    /** Linear warm-up over the first n epochs (fractions allowed with per 'step'). */
    warmupEpochs: z.number().min(0).optional(),
    /** Warm-up starts at this fraction of the base rate (default 0.1). */
    warmupStartFactor: z.number().min(0).max(1).optional(),
    /** 'step': epochs after which the rate is multiplied by gamma, e.g. [10, 20]. */
    milestones: z.array(z.number().int().positive()).optional(),
    /** 'step': every n epochs instead of milestones. */
    stepSize: z.number().int().positive().optional(),
    /** 'step': the factor (default 0.1). */
    gamma: z.number().positive().optional(),
    /** 'cosine' / 'linear': the final rate as a fraction of the base rate (default 0). */
    minFactor: z.number().min(0).max(1).optional(),
  })
  .strict();

export type LrSchedule = z.infer<typeof lrScheduleSchema>;

/** Where training stands: 1-based epoch of `epochs`, 0-based batch of `batches`. */
export interface LrPosition {
  epoch: number;
  epochs: number;
  batch: number;
  batches: number;
}

/** The rate at `position` for a base rate `base` (undefined schedule = constant). */
export function learningRateAt(
  base: number,
  schedule: LrSchedule | undefined,
  position: LrPosition,
): number {
  if (!schedule) return base;
  const perStep = schedule.per === 'step';
  // Epochs done before this step: whole epochs, or fractional ones when stepping per batch.
  const done = position.epoch - 1 + (perStep ? position.batch / position.batches : 0);
  const warmup = schedule.warmupEpochs ?? 0;
  if (done < warmup) {
    const start = schedule.warmupStartFactor ?? 0.1;
    return base * (start + ((1 - start) * done) / warmup);
  }
  // Decay runs over the epochs after warm-up, from the base rate (progress 0) towards the floor.
  const span = position.epochs - warmup;
  const progress = span > 0 ? Math.min(1, (done - warmup) / span) : 0;
  const floor = schedule.minFactor ?? 0;
  switch (schedule.shape) {
    case 'constant':
      return base;
    case 'step': {
      const gamma = schedule.gamma ?? 0.1;
      const passed = schedule.stepSize
        ? Math.floor(done / schedule.stepSize)
        : (schedule.milestones ?? []).filter((m) => done >= m).length;
      return base * gamma ** passed;
    }
    case 'cosine':
      return base * (floor + ((1 - floor) * (1 + Math.cos(Math.PI * progress))) / 2);
    case 'linear':
      return base * (1 - (1 - floor) * progress);
  }
}

/**
 * Parses a flag value: a shape then comma-separated key=value settings, e.g. `cosine`,
 * `cosine,warmup=2,per=step`, `step,milestones=10+20,gamma=0.1`.
 */
export function parseLrSchedule(spec: string, flag = '--lr-schedule'): LrSchedule {
  const [shape, ...settings] = spec.split(',').map((s) => s.trim());
  const keys: Record<string, keyof LrSchedule> = {
    per: 'per',
    warmup: 'warmupEpochs',
    'warmup-start': 'warmupStartFactor',
    milestones: 'milestones',
    'step-size': 'stepSize',
    gamma: 'gamma',
    min: 'minFactor',
  };
  const out: Record<string, unknown> = { shape };
  for (const setting of settings) {
    const [key, value] = setting.split('=');
    const name = Object.hasOwn(keys, key) ? keys[key] : undefined;
    if (!name || value === undefined) {
      throw usageError(
        `${flag} ${spec}: unknown setting '${setting}' (allowed: ${Object.keys(keys).join(', ')}, as key=value)`,
      );
    }
    out[name] =
      name === 'per' ? value : name === 'milestones' ? value.split('+').map(Number) : Number(value);
  }
  const parsed = lrScheduleSchema.safeParse(out);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw usageError(
      `${flag} ${spec}: ${issue.path.join('.') || 'shape'}: ${issue.message} (e.g. cosine,warmup=1 or step,milestones=10+20)`,
    );
  }
  return parsed.data;
}
