// Runs before tfjs-core's specs are evaluated: registers the native backend and makes it the one
// test environment, so every describeWithFlags block runs against `native`.
import { setTestEnvs } from '@tensorflow/tfjs-core/dist/jasmine_util.js';
import { nativeLoadError, registerNativeBackend } from '../index.ts';

if (!registerNativeBackend()) {
  throw new Error(`conformance needs the native addon: ${nativeLoadError()}`);
}
setTestEnvs([{ name: 'native', backendName: 'native', flags: {}, isDataSync: true }]);
