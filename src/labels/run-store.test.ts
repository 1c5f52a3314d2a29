// The store an LLM teacher labels into a run folder (distill --teacher openai:…), on real
// SpamAssassin mails with a stand-in text teacher: a run stopped mid-labelling (the teacher fails
// on its third shard) keeps the shards it finished, and the next call labels only the others; the
// store then serves the training split with the teacher's own logits, in split order.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadDataset } from '../data/index.ts';
import type { Teacher } from '../teachers/teacher.ts';
import { labelIntoRun } from './run-store.ts';
import { loadStoreLogits } from './teacher-logits.ts';

const runDir = mkdtempSync(join(tmpdir(), 'distillery-run-store-'));
after(() => rmSync(runDir, { recursive: true, force: true }));

/** Two logits from a mail's text; the teacher fails on call `failOn` (1-based). */
const rowLogits = (text: string) => [Math.log1p(text.length % 97), -(text.split(' ').length % 13)];
function textTeacher(failOn?: number) {
  const state = { calls: 0, disposed: 0 };
  const teacher = {
    kind: 'stand-in-llm',
    reads: 'text' as const,
    classes: 2,
    identity: async () => 'stand-in-llm v1',
    logits: async () => {
      throw new Error('reads texts');
    },
    textLogits: async (texts: string[]) => {
      if (++state.calls === failOn) throw new Error('server gone');
      return Float32Array.from(texts.flatMap(rowLogits));
    },
    labelStats: () => ({ texts: 0, textsWithMissingLabel: 0, textsWithNoLabel: 0, missing: {} }),
    stats: () => ({ requests: 0, attempts: 0, retries: 0, retryReasons: {} }),
    describe: () => ({ kind: 'stand-in-llm', source: 'test', classes: 2 }),
    dispose: () => void state.disposed++,
  };
  return { teacher: teacher as unknown as Teacher, state };
}

test('a run stopped while labelling resumes with only the missing shards; the store serves the split', async () => {
  const data = await loadDataset({ dataset: 'spam-assassin', trainLimit: 100, testLimit: 10 });
  const options = { split: data.train, data, runDir, shardSize: 25 };
  const failing = textTeacher(3);
  await assert.rejects(labelIntoRun({ ...options, teacher: failing.teacher }), /server gone/);
  assert.equal(failing.state.disposed, 1);
  const healthy = textTeacher();
  const info: string[] = [];
  const store = await labelIntoRun({
    ...options,
    teacher: healthy.teacher,
    onInfo: (m) => info.push(m),
  });
  assert.equal(healthy.state.calls, 2); // shards 2 and 3 only
  assert.match(info.at(-1)!, /2 shard\(s\) labelled, 2 already there/);
  assert.equal(store.kind, 'logit-store');
  const table = loadStoreLogits(join(runDir, 'teacher-logits'), data.train).table;
  const expected = data.train.texts!.flatMap(rowLogits);
  for (let i = 0; i < expected.length; i++)
    assert.ok(Math.abs(table.logits[i] - expected[i]) <= Math.abs(expected[i]) * 2 ** -10 + 1e-6);
});
