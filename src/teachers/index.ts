// Teacher kinds. A kind is one file exporting a constructor that returns a Teacher; heavy runtimes
// (onnxruntime-node) are imported lazily by their own file, with one clear error when missing.
export * from './teacher.ts';
export { layersTeacher, asTeacher, modelHash } from './layers.ts';
export { functionTeacher, toLogits, type LogitsFunction } from './function.ts';
