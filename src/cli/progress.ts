// Turns pipeline events into terminal output on stderr: progress bars on a TTY, one plain line
// per epoch otherwise, nothing with --json (stdout then carries only the results). Colour only on a
// TTY (NO_COLOR turns it off, FORCE_COLOR on): picocolors alone also colours whenever `CI` is set,
// which puts escape codes into logs and into paths that scripts read from our lines.
import cliProgress from 'cli-progress';
import { createColors } from 'picocolors';
import type { PipelineEvents } from '../pipeline/context.ts';
import type { StageName } from '../run/record.ts';
import { formatTerms } from '../train/loop.ts';

export function createProgress(mode: 'tty' | 'plain' | 'silent'): PipelineEvents {
  if (mode === 'silent') return {};
  const env = process.env;
  const pc = createColors('FORCE_COLOR' in env || (mode === 'tty' && !('NO_COLOR' in env)));
  const err = (line: string) => process.stderr.write(line + '\n');
  let bar: cliProgress.SingleBar | undefined;
  let epochs = 0;
  const label = (stage: StageName) => stage.padEnd(9);
  return {
    onInfo: (message) => err(pc.dim(message)),
    onStageStart(stage, info) {
      epochs = info.epochs;
      err(
        `${pc.bold(stage)}: ${info.epochs} epochs × ${info.batches} batches${info.startEpoch ? ` (from epoch ${info.startEpoch + 1})` : ''}`,
      );
      if (mode === 'tty') {
        bar = new cliProgress.SingleBar(
          {
            format: `${label(stage)} epoch {epoch}/${info.epochs} [{bar}] {value}/{total} | {terms} | ETA {eta_formatted}`,
            barsize: 24,
            hideCursor: true,
            clearOnComplete: true,
            stream: process.stderr,
          },
          cliProgress.Presets.shades_classic,
        );
        bar.start(info.batches, 0, { epoch: info.startEpoch + 1, terms: '' });
      }
    },
    onBatchEnd(_stage, info) {
      if (!bar) return;
      if (info.batch === 1) bar.start(info.batches, 0, { epoch: info.epoch, terms: '' });
      bar.update(info.batch, { epoch: info.epoch, terms: formatTerms(info.terms) });
    },
    onEpochEnd(stage, r) {
      bar?.stop();
      const val =
        r.validationAccuracy === undefined
          ? ''
          : `, val acc ${(100 * r.validationAccuracy).toFixed(2)}%`;
      err(
        `${label(stage)} epoch ${r.epoch}/${epochs}: ${formatTerms(r.terms)}${r.metrics ? ` (${formatTerms(r.metrics)})` : ''}${val}, ${r.seconds.toFixed(1)} s (${r.samplesPerSecond.toFixed(0)} samples/s)`,
      );
    },
    onStageEnd(stage, info) {
      bar?.stop();
      bar = undefined;
      if (info.source === 'loaded') err(`${label(stage)} already trained: loaded ${info.modelDir}`);
      else if (info.bestEpoch)
        err(
          pc.dim(
            `${label(stage)} kept epoch ${info.bestEpoch} (${info.keepEpoch === 'last' ? 'the last: keep-epoch last' : 'best validation accuracy'})`,
          ),
        );
    },
  };
}
