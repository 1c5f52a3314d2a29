// `distillery methods`: every registered distillation method with its paper, parameters and
// their defaults, and presets — read from the method definitions, so it never goes stale.
export async function methodsCommand(flags: { json?: boolean }): Promise<void> {
  const { methods } = await import('../../distill/methods/index.ts');
  const entries = Object.values(methods).map((factory) => {
    const d = factory.definition as {
      name: string;
      description: string;
      paper?: string;
      defaults: object;
      presets?: Record<string, object>;
    };
    return {
      name: d.name,
      description: d.description,
      paper: d.paper,
      defaults: d.defaults,
      presets: d.presets ?? {},
    };
  });
  if (flags.json) {
    process.stdout.write(JSON.stringify(entries, null, 2) + '\n');
    return;
  }
  const kebab = (k: string) => k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
  for (const m of entries) {
    process.stdout.write(`${m.name} — ${m.description}\n`);
    if (m.paper) process.stdout.write(`  paper: ${m.paper}\n`);
    for (const [key, value] of Object.entries(m.defaults)) {
      process.stdout.write(`  --${m.name}.${kebab(key)} ${JSON.stringify(value)}\n`);
    }
    const presets = Object.keys(m.presets);
    if (presets.length) process.stdout.write(`  presets (--preset): ${presets.join(', ')}\n`);
    process.stdout.write('\n');
  }
}
