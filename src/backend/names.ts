// Backend names, apart from the selection code so the CLI can list them without loading tfjs.
export const backendNames = ['auto', 'native', 'wasm', 'wasm-stock', 'cpu'] as const;
export type BackendName = (typeof backendNames)[number];
