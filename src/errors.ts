// Typed errors. The CLI maps each kind to an exit code in exactly one place (src/cli/main.ts);
// the library throws these with one-line messages that say what is wrong and how to fix it.

export type ErrorKind = 'usage' | 'data' | 'model' | 'training' | 'io';

export class DistilleryError extends Error {
  constructor(
    readonly kind: ErrorKind,
    message: string,
  ) {
    super(message);
    this.name = 'DistilleryError';
  }
}

export const usageError = (message: string) => new DistilleryError('usage', message);
export const dataError = (message: string) => new DistilleryError('data', message);
export const modelError = (message: string) => new DistilleryError('model', message);
export const trainingError = (message: string) => new DistilleryError('training', message);
export const ioError = (message: string) => new DistilleryError('io', message);
