// The remote teacher kind in loadTeacher's registry: server URLs are recognised by their shape
// (no request is made to tell), `--teacher-protocol` names the kind where the shape cannot, an LLM
// reads texts, and a URL whose protocol is unknown is refused with the flag to pass.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  resolveTeacherKind,
  resolveTeacherSpec,
  teacherOptionsFromConfig,
  teacherReads,
} from './load.ts';

test('server URLs are the remote kind by their shape; paths and graph-model URLs are not', async () => {
  for (const url of [
    'http://127.0.0.1:8000/v2/models/resnet',
    'http://127.0.0.1:8000/v2/models/resnet/versions/3',
    'https://host:8501/v1/models/m',
    'openai:http://127.0.0.1:8080/v1',
    'kserve-v2:http://127.0.0.1:8000/v2/models/m',
  ])
    assert.equal((await resolveTeacherKind(url)).name, 'remote', url);
  assert.equal(
    (await resolveTeacherKind('test/fixtures/graph-mlp/graph')).name,
    'graph-model',
    'a folder is never remote',
  );
  assert.equal(resolveTeacherSpec('openai:http://h/v1'), 'openai:http://h/v1');
  assert.equal(resolveTeacherSpec('http://h/v2/models/m'), 'http://h/v2/models/m');
  assert.match(resolveTeacherSpec('t.onnx'), /^\/.*\/t\.onnx$/);
});

test('--teacher-protocol implies the remote kind; an LLM reads texts, a tensor server tensors', async () => {
  const options = teacherOptionsFromConfig({ remote: { protocol: 'openai' } });
  assert.equal(options.kind, 'remote');
  assert.equal(await teacherReads('http://127.0.0.1:8080/v1', options), 'text');
  assert.equal(await teacherReads('http://127.0.0.1:8000/v2/models/m'), 'tensor');
  assert.equal(teacherOptionsFromConfig({}).kind, undefined);
  await assert.rejects(
    () =>
      teacherReads(
        'http://127.0.0.1:8080/v1',
        teacherOptionsFromConfig({ remote: { protocol: 'grpc' } }),
      ),
    /unknown teacher protocol 'grpc' \(allowed: kserve-v2, tf-serving, openai\)/,
  );
  assert.throws(
    () => teacherOptionsFromConfig({ remote: { prompt: '/no/such/prompt.txt' } }),
    /--prompt \/no\/such\/prompt\.txt: cannot read the file/,
  );
});
