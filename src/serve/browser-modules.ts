// The TypeScript modules the demo page runs as they are in Node, compiled for the browser once
// when the server starts (esbuild, which tsx already brings): the tokenizer (so that pasted text
// gets exactly the ids Node computes) and the custom transformer layers (so that a text teacher
// loads with the stock tf.loadLayersModel). Their `tf` import becomes the page's global `tf`.
// Leaves out: minification and source maps (the files are small and served from 127.0.0.1).
import { fileURLToPath } from 'node:url';

/** URL name under /gen/ → source file, relative to src/. */
const entries: Record<string, string> = {
  'tokenizer.js': '../text/tokenizer.ts',
  'layers.js': '../models/transformer.ts',
};

/** Compiles every entry; returns URL name → JavaScript source. */
export async function buildBrowserModules(): Promise<Record<string, Buffer>> {
  const { build } = await import('esbuild');
  const out: Record<string, Buffer> = {};
  for (const [name, source] of Object.entries(entries)) {
    const result = await build({
      entryPoints: [fileURLToPath(new URL(source, import.meta.url))],
      bundle: true,
      format: 'esm',
      target: 'es2022',
      write: false,
      logLevel: 'silent',
      plugins: [
        {
          name: 'page-global-tf',
          setup(b) {
            b.onResolve({ filter: /(^|\/)tf\.ts$/ }, () => ({ path: 'tf', namespace: 'page' }));
            b.onLoad({ filter: /.*/, namespace: 'page' }, () => ({
              contents: 'export const tf = globalThis.tf;',
              loader: 'js',
            }));
          },
        },
      ],
    });
    out[name] = Buffer.from(result.outputFiles[0].text);
  }
  return out;
}
