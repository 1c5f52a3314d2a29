// `distillery cache list | clear`: the teacher-logit cache under <out>/.cache — each entry with its
// size, what it holds and whether its checksum holds; clear removes them all.
export async function cacheCommand(
  action: 'list' | 'clear',
  flags: { out?: string; json?: boolean },
): Promise<void> {
  const { resolve } = await import('node:path');
  const { listCacheEntries, clearCacheEntries } = await import('../../distill/cache-file.ts');
  const { formatBytes } = await import('../../report/table.ts');
  const dir = resolve(flags.out ?? 'runs', '.cache');
  if (action === 'clear') {
    const freed = clearCacheEntries(dir);
    if (flags.json) process.stdout.write(JSON.stringify({ dir, ...freed }) + '\n');
    else
      process.stdout.write(
        `removed ${freed.files} file(s), ${formatBytes(freed.bytes)}, from ${dir}\n`,
      );
    return;
  }
  const entries = listCacheEntries(dir);
  if (flags.json) {
    process.stdout.write(JSON.stringify({ dir, entries }, null, 2) + '\n');
    return;
  }
  if (entries.length === 0) {
    process.stdout.write(`no cached teacher logits in ${dir}\n`);
    return;
  }
  for (const e of entries) {
    process.stdout.write(
      `${e.file}  ${formatBytes(e.bytes)}  ${e.description ?? '?'}  ${e.createdAt ?? ''}  ${e.status}\n`,
    );
  }
  const total = entries.reduce((a, e) => a + e.bytes, 0);
  process.stdout.write(
    `${entries.length} entr${entries.length === 1 ? 'y' : 'ies'}, ${formatBytes(total)}; 'distillery cache clear${flags.out ? ` --out ${flags.out}` : ''}' removes them\n`,
  );
}
