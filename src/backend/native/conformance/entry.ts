// Bundle entry for the conformance run: the setup first (module order is evaluation order), then
// tfjs-core's own op test suite as shipped in @tensorflow/tfjs-core/dist/tests.
import './setup.ts';
import '@tensorflow/tfjs-core/dist/tests.js';
