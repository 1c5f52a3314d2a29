// Whether a run chooses its temperature and loss weights automatically: 'auto' (the default)
// becomes 'on' when no config layer sets them, a preset or a schedule of them, and 'off' as soon
// as one does; `--temperature auto` (or `method.temperature: "auto"` in a file) forces 'on'.
// Kept free of heavy imports: config.ts calls it while merging layers.

/** The method parameters the automatic choice searches, when the method has them. */
export const AUTO_KEYS = ['temperature', 'hardWeight', 'softWeight'] as const;

export type AutoTuneMode = 'auto' | 'on' | 'off';

interface Layer {
  autoTune?: AutoTuneMode;
  method?: Record<string, unknown>;
  schedules?: Record<string, unknown>;
}

/** Resolves the mode from the config layers (later layers win an explicit `autoTune`). */
export function resolveAutoTune(layers: Layer[]): 'on' | 'off' {
  let forced: 'on' | 'off' | undefined;
  let explicit = false;
  for (const layer of layers) {
    if (layer.method?.temperature === 'auto') forced = 'on';
    if (layer.autoTune === 'on' || layer.autoTune === 'off') forced = layer.autoTune;
    const method = layer.method ?? {};
    if (method.preset !== undefined) explicit = true;
    for (const key of AUTO_KEYS) {
      if (method[key] !== undefined && method[key] !== 'auto') explicit = true;
      if (layer.schedules?.[key] !== undefined) explicit = true;
    }
  }
  return forced ?? (explicit ? 'off' : 'on');
}

/** Removes `temperature: "auto"` from a method layer (it is a mode, not a value). */
export function stripAutoValue<T extends Layer>(layer: T): T {
  if (layer.method?.temperature !== 'auto') return layer;
  const { temperature: _auto, ...method } = layer.method;
  return { ...layer, method };
}
