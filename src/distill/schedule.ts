// Per-epoch schedules for a method's numeric parameters (temperature, loss weights, …):
// constant, linear or cosine from `from` (first epoch) to `to` (last epoch).
import { z } from 'zod';
import { usageError } from '../errors.ts';

export const scheduleShapes = ['constant', 'linear', 'cosine'] as const;

export const scheduleSchema = z
  .object({
    shape: z.enum(scheduleShapes),
    from: z.number(),
    to: z.number(),
  })
  .strict();

export type Schedule = z.infer<typeof scheduleSchema>;

/** The scheduled value at `epoch` (1-based) of `epochs`. */
export function scheduleValue(schedule: Schedule, epoch: number, epochs: number): number {
  const progress = epochs > 1 ? (epoch - 1) / (epochs - 1) : 0;
  switch (schedule.shape) {
    case 'constant':
      return schedule.from;
    case 'linear':
      return schedule.from + (schedule.to - schedule.from) * progress;
    case 'cosine':
      return schedule.to + ((schedule.from - schedule.to) * (1 + Math.cos(Math.PI * progress))) / 2;
  }
}

/** Parses `key=shape:from:to` (e.g. `temperature=linear:8:2`, `hardWeight=constant:0.3`). */
export function parseSchedule(spec: string): [string, Schedule] {
  const match = /^([A-Za-z][\w-]*)=(constant|linear|cosine):(-?[\d.e+-]+)(?::(-?[\d.e+-]+))?$/.exec(
    spec,
  );
  if (!match) {
    throw usageError(
      `--schedule ${spec}: expected param=shape:from:to with shape constant|linear|cosine, e.g. temperature=linear:8:2`,
    );
  }
  const [, key, shape, from, to] = match;
  const schedule = scheduleSchema.parse({ shape, from: Number(from), to: Number(to ?? from) });
  if (!Number.isFinite(schedule.from) || !Number.isFinite(schedule.to)) {
    throw usageError(`--schedule ${spec}: from and to must be numbers`);
  }
  return [key.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase()), schedule];
}

/** Checks every scheduled key is a numeric parameter of the method. */
export function checkSchedules(
  schedules: Record<string, Schedule>,
  methodName: string,
  defaults: object,
): void {
  for (const key of Object.keys(schedules)) {
    const value = (defaults as Record<string, unknown>)[key];
    if (typeof value !== 'number') {
      const numeric = Object.entries(defaults)
        .filter(([, v]) => typeof v === 'number')
        .map(([k]) => k);
      throw usageError(
        `schedule for '${key}': method '${methodName}' has no numeric parameter '${key}' (numeric: ${numeric.join(', ')})`,
      );
    }
  }
}
