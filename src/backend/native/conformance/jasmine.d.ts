// The few parts of the `jasmine` npm runner's API that run.ts uses (the package ships no types).
declare module 'jasmine' {
  interface SpecResult {
    status: string;
    fullName: string;
    failedExpectations: { message: string }[];
  }
  export default class Jasmine {
    constructor(options: object);
    exitOnCompletion: boolean;
    env: {
      configure(options: { specFilter?: (spec: { getFullName(): string }) => boolean }): void;
    };
    loadConfig(config: { spec_files: string[]; random?: boolean }): void;
    clearReporters(): void;
    addReporter(reporter: { specDone?: (result: SpecResult) => void }): void;
    execute(): Promise<{ overallStatus: string }>;
  }
}
