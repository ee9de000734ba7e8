// Bundles the web UI (web/src) into static files under web/dist that the daemon serves.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const entry = path.join(root, 'web/src/main.ts');
if (!fs.existsSync(entry)) {
  console.log('web: no web/src/main.ts yet, nothing to bundle');
  process.exit(0);
}
const { build } = await import('esbuild');
const out = path.join(root, 'web/dist');
fs.rmSync(out, { recursive: true, force: true });
await build({ entryPoints: [entry], bundle: true, minify: true, format: 'esm', target: 'es2020', outdir: path.join(out, 'assets'), entryNames: '[name].[hash]', metafile: true });
