// tfjs-core specs not run against `native`, each with its reason; a spec is ignored when its full
// name contains the pattern. Empty: all of tfjs-core 4.22's specs pass on `native` (kernels the
// native code does not cover are the cpu backend's own). Add an entry only with a reason, e.g.
// { pattern: 'maxPool native {} x=[...]', reason: 'why native legitimately differs' }.
export interface IgnoredSpec {
  pattern: string;
  reason: string;
}

export const ignoreList: IgnoredSpec[] = [];
