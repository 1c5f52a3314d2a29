// The whole job of Hinton et al. 2015 on one dataset: train (or load) a teacher, train the
// student from scratch as the baseline, distil the same student architecture with the same seed,
// optimizer, epochs and batch size (only the loss differs), evaluate the three side by side, and
// write a run folder. Each stage checkpoints per epoch and a run can be resumed after a kill.
// The stages live beside this file; this function only composes them.
import type { RunConfig } from '../config.ts';
import { methods } from '../distill/methods/index.ts';
import type { RunCommand, RunResults } from '../run/record.ts';
import { inRun, openRun, type PipelineEvents, type RunContext } from './context.ts';
import { checkBeforeStart } from './preflight.ts';
import { teacherStage } from './teacher-stage.ts';
import { bornAgainStages, studentStages } from './student-stages.ts';
import { evaluateStage } from './evaluate-stage.ts';

export type { PipelineEvents };

export interface PipelineOptions {
  config: RunConfig;
  /**
   * Which stages to run: 'run' = all three, 'train-teacher' = teacher only, 'distill' = students
   * with a given teacher, 'born-again' = teacher then `generations` students of the teacher's
   * architecture, each distilled from the one before (Furlanello et al. 2018).
   */
  command: Exclude<RunCommand, 'tune'>;
  /** Saved teacher(s) to reuse (skips the teacher stage); several form an ensemble. */
  teacherDirs?: string[];
  /** Existing run folder to continue. */
  resumeDir?: string;
  events?: PipelineEvents;
  /** Write report.html at the end (default true). */
  report?: boolean;
}

/** Validates, opens (creates or locks) the run folder, runs, and cleans up after a failure. */
export async function runPipeline(options: PipelineOptions): Promise<RunResults> {
  checkBeforeStart({ config: options.config, command: options.command });
  const ctx = await openRun(options);
  return inRun(ctx, () => runStages(ctx, options));
}

async function runStages(ctx: RunContext, options: PipelineOptions): Promise<RunResults> {
  const { config, command, events } = ctx;

  // 1. Teacher: trained here, or loaded from --teacher.
  const { teacher, members } = await teacherStage(ctx, options.teacherDirs ?? []);

  // 2 + 3. Students: the baseline and the distilled one, identical but for the loss.
  const { name: methodName, ...methodParams } = config.method;
  const method = methods[methodName as keyof typeof methods](methodParams);
  if (command === 'born-again') await bornAgainStages(ctx, method);
  else if (command !== 'train-teacher') await studentStages(ctx, teacher, method);

  // 4. Evaluate side by side on the test split; write results.json.
  const results = await evaluateStage(ctx, { teacher, members, method });
  // An ensemble disposes its member teachers with it.
  for (const m of Object.values(ctx.models)) m?.dispose();

  // The report is a view of the finished run: failing to draw it never fails the run.
  if (options.report !== false) {
    try {
      const { writeReport } = await import('../report/html.ts');
      const reportPath = await writeReport(ctx.runDir);
      events.onInfo?.(`report: ${reportPath}`);
    } catch (e) {
      events.onInfo?.(
        `report.html not written (${(e as Error).message}); retry with 'distillery report ${ctx.runDir}'`,
      );
    }
  }
  return results;
}
