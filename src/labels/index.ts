// Labelling: the logit store, the label job (in process or on BullMQ workers), and the trainer's
// side (a store as the distiller's teacher table). bullmq loads only when a queue is used.
export * from './store.ts';
export {
  labelInProcess,
  labelManifest,
  labelShard,
  rowLogits,
  splitRows,
  textRows,
  type LabelRows,
  type LabelOptions,
  type LabelResult,
} from './job.ts';
export { label, type LabelJobOptions, type LabelSummary } from './label.ts';
export {
  labelWithQueue,
  startWorker,
  redisOptions,
  DEFAULT_QUEUE,
  type ShardJob,
} from './queue.ts';
export {
  openTarget,
  openTeacher,
  openRows,
  type LabelTarget,
  type TeacherSpec,
  type RowsSpec,
} from './target.ts';
export { readTextRecords, type TextRecords } from './records.ts';
export {
  loadStoreLogits,
  storeTeacher,
  matchStoreRows,
  checkStoreExpectations,
  type StoreLogits,
  type StoreExpectations,
} from './teacher-logits.ts';
