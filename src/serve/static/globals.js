// Loaded before tf.min.js. Its bundled regenerator-runtime assigns the undeclared global
// `regeneratorRuntime` in strict mode and, when that throws, falls back to `Function(…)`, which
// this page's Content-Security-Policy (no 'unsafe-eval') forbids. Declaring the global first
// makes the plain assignment succeed, so the page keeps its strict policy.
globalThis.regeneratorRuntime = undefined;
