// Dataset registry: name → loader. A new dataset (text, CSV) adds one line here.
import type { Dataset } from './dataset.ts';
import { loadFashionMnist, loadMnist, type ImageDatasetOptions } from './image-idx.ts';

export type DatasetLoader = (options: ImageDatasetOptions) => Promise<Dataset>;

export const datasets = {
  mnist: loadMnist,
  'fashion-mnist': loadFashionMnist,
} satisfies Record<string, DatasetLoader>;

export type DatasetName = keyof typeof datasets;
export const datasetNames = Object.keys(datasets) as DatasetName[];

export * from './dataset.ts';
export * from './idx.ts';
export * from './image-idx.ts';
export * from './batches.ts';
