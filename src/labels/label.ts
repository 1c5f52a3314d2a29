// `label`: one function for the whole labelling job, in this process or on a queue of workers.
// Opens the target, creates (or reopens, to resume) the store, labels the missing shards, and
// returns a summary for the CLI and the report: shards, time, the teacher's record, its
// client's retries and, for LLM teachers, how often a label was floored.
import type { TeacherRecord } from '../teachers/teacher.ts';
import type { ClientStats } from '../teachers/http/client.ts';
import type { LabelStats } from '../teachers/http/openai.ts';
import { labelInProcess, labelManifest } from './job.ts';
import { labelWithQueue } from './queue.ts';
import { openStore, type StoreSettings } from './store.ts';
import { openTarget, type LabelTarget } from './target.ts';

export interface LabelJobOptions extends Partial<StoreSettings> {
  target: LabelTarget;
  /** The store folder. */
  out: string;
  /** redis://host:port: label on workers instead of in this process. */
  queue?: string;
  queueName?: string;
  parallelShards?: number;
  chunk?: number;
  onInfo?(message: string): void;
  onProgress?(info: {
    done: number;
    total: number;
    waiting?: number;
    active?: number;
    failed?: number;
  }): void;
}

export interface LabelSummary {
  dir: string;
  key: string;
  rows: number;
  classes: number;
  shards: number;
  labelled: number;
  skipped: number;
  seconds: number;
  where: 'in-process' | 'queue';
  teacher: TeacherRecord;
  client?: ClientStats;
  labels?: LabelStats;
}

export async function label(options: LabelJobOptions): Promise<LabelSummary> {
  const t0 = performance.now();
  const settings: StoreSettings = {
    dtype: options.dtype ?? 'float16',
    topK: options.topK,
    shardSize: options.shardSize ?? 4096,
  };
  const { teacher, rows } = await openTarget(options.target);
  try {
    const manifest = openStore(
      options.out,
      await labelManifest(teacher, rows, settings),
      rows.rowHashes,
    );
    options.onInfo?.(
      `store ${options.out}: ${manifest.data.count} rows in ${manifest.shards} shards of ${manifest.shardSize}, ${manifest.dtype}${manifest.topK ? `, top-${manifest.topK}` : ''} (key ${manifest.key.slice(0, 12)})`,
    );
    let labelled: number;
    let skipped: number;
    if (options.queue) {
      ({ labelled, skipped } = await labelWithQueue({
        queue: options.queue,
        queueName: options.queueName,
        dir: options.out,
        manifest,
        target: options.target,
        chunk: options.chunk,
        onProgress: options.onProgress,
      }));
    } else {
      ({ labelled, skipped } = await labelInProcess({
        ...settings,
        teacher,
        rows,
        dir: options.out,
        parallelShards: options.parallelShards,
        chunk: options.chunk,
        onShard: ({ done, total }) => options.onProgress?.({ done, total }),
      }));
    }
    const extra = teacher as { stats?: () => ClientStats; labelStats?: () => LabelStats };
    return {
      dir: options.out,
      key: manifest.key,
      rows: manifest.data.count,
      classes: manifest.classes,
      shards: manifest.shards,
      labelled,
      skipped,
      seconds: (performance.now() - t0) / 1000,
      where: options.queue ? 'queue' : 'in-process',
      teacher: teacher.describe(),
      client: options.queue ? undefined : extra.stats?.(),
      labels: options.queue ? undefined : extra.labelStats?.(),
    };
  } finally {
    await teacher.dispose();
  }
}
