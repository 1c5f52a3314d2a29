// The training-recipe flags (schedule, weight decay, max-norm, clipping, label smoothing, early
// stopping), declared once as data: each exists for all stages (--max-norm) and per stage
// (--teacher-max-norm, --student-max-norm; the stage's flag wins). Each maps onto one key of the
// stages' training config (src/train/recipe.ts).
import { Option, type Command } from 'commander';
import { parseLrSchedule } from '../train/lr-schedule.ts';
import { weightDecayExclusions } from '../train/regularization.ts';
import type { StageTrainingSettings } from '../train/recipe.ts';
import { int, num } from './parsers.ts';

interface RecipeFlag {
  /** Flag name without the stage prefix, e.g. 'max-norm'. */
  flag: string;
  arg: string;
  help: string;
  parse?: (value: string) => unknown;
  choices?: readonly string[];
  /** Config value of the stage for the parsed flag value. */
  toConfig: (value: never) => Partial<StageTrainingSettings>;
}

const recipeFlags: RecipeFlag[] = [
  {
    flag: 'lr-schedule',
    arg: '<spec>',
    help: 'learning-rate schedule, e.g. cosine,warmup=1,per=step or step,milestones=10+20,gamma=0.1',
    parse: (v) => v,
    toConfig: (v: string) => ({ lrSchedule: parseLrSchedule(v) }),
  },
  {
    flag: 'weight-decay',
    arg: '<x>',
    help: 'weight decay: decoupled with --optimizer adamw, L2 on the gradient otherwise',
    parse: num,
    toConfig: (v: number) => ({ weightDecay: v }),
  },
  {
    flag: 'weight-decay-exclude',
    arg: '<which>',
    help: 'parameters left undecayed',
    choices: weightDecayExclusions,
    toConfig: (v: StageTrainingSettings['weightDecayExclude']) => ({ weightDecayExclude: v }),
  },
  {
    flag: 'max-norm',
    arg: '<c>',
    help: "max-norm constraint: each unit's incoming weight vector rescaled to norm ≤ c after every step",
    parse: num,
    toConfig: (v: number) => ({ maxNorm: v }),
  },
  {
    flag: 'clip-norm',
    arg: '<x>',
    help: 'clip the gradients to this global L2 norm',
    parse: num,
    toConfig: (v: number) => ({ clipNorm: v }),
  },
  {
    flag: 'label-smoothing',
    arg: '<eps>',
    help: 'label smoothing of the true-label (hard) term',
    parse: num,
    toConfig: (v: number) => ({ labelSmoothing: v }),
  },
  {
    flag: 'patience',
    arg: '<n>',
    help: 'early stopping: stop after n epochs without a better validation accuracy',
    parse: int,
    toConfig: (v: number) => ({ earlyStopping: { patience: v } }),
  },
  {
    flag: 'keep-epoch',
    arg: '<which>',
    help: "the epoch whose weights a stage keeps: 'best' validation accuracy (default) or 'last'",
    choices: ['best', 'last'],
    toConfig: (v: StageTrainingSettings['keepEpoch']) => ({ keepEpoch: v }),
  },
  {
    flag: 'weight-average',
    arg: '<decay>',
    help: 'keep and validate an exponential moving average of the weights with this decay per step, e.g. 0.999',
    parse: num,
    toConfig: (v: number) => ({ weightAverage: { decay: v } }),
  },
  {
    flag: 'momentum',
    arg: '<x>',
    help: 'momentum of --optimizer momentum (default 0.9)',
    parse: num,
    toConfig: (v: number) => ({ momentum: v }),
  },
];

const camel = (flag: string) => flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
const prefixed = (stage: string, flag: string) => camel(`${stage}-${flag}`);

/** Adds each recipe flag for all stages and for each of `stages`. */
export function addRecipeOptions(cmd: Command, stages: ('teacher' | 'student')[]): Command {
  for (const f of recipeFlags) {
    for (const prefix of ['', ...stages]) {
      const name = prefix ? `--${prefix}-${f.flag}` : `--${f.flag}`;
      const help = prefix ? `${f.help} (${prefix} only)` : `${f.help} (all stages)`;
      const option = new Option(`${name} ${f.arg}`, help);
      if (f.choices) option.choices([...f.choices]);
      if (f.parse) option.argParser(f.parse);
      cmd.addOption(option);
    }
  }
  return cmd;
}

/** The recipe keys the flags set for one stage (the stage's own flag over the all-stages one). */
export function recipeFlagsToConfig(
  flags: Record<string, unknown>,
  stage: 'teacher' | 'student',
): Partial<StageTrainingSettings> {
  const out: Partial<StageTrainingSettings> = {};
  for (const f of recipeFlags) {
    const value = flags[prefixed(stage, f.flag)] ?? flags[camel(f.flag)];
    if (value !== undefined) Object.assign(out, f.toConfig(value as never));
  }
  return out;
}
