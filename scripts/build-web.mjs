// Bundles the web UI (web/src) into web/dist: index.html plus content-hashed JS and CSS, after a strict typecheck.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const entry = path.join(root, 'web/src/main.ts');
if (!fs.existsSync(entry)) {
  console.log('web: no web/src/main.ts yet, nothing to bundle');
  process.exit(0);
}
// esbuild strips types without checking them: the browser code gets the same strict check as the daemon.
try {
  execFileSync(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', path.join(root, 'web/tsconfig.json')], { stdio: 'inherit' });
} catch {
  console.error('web: type errors above');
  process.exit(1);
}

const { build } = await import('esbuild');
const out = path.join(root, 'web/dist');
fs.rmSync(out, { recursive: true, force: true });
const result = await build({
  entryPoints: [entry],
  bundle: true,
  minify: true,
  format: 'esm',
  // Phones on the device's Wi-Fi may be a few years old: ES2020 runs on Safari 14 and Chrome 80 onwards.
  target: ['es2020'],
  outdir: path.join(out, 'assets'),
  entryNames: '[name].[hash]',
  // A dynamic import() (the admin health dashboard with its chart library) becomes a chunk loaded on demand.
  splitting: true,
  chunkNames: 'chunks/[name].[hash]',
  assetNames: '[name].[hash]',
  metafile: true,
  legalComments: 'none',
  logLevel: 'warning',
});

const url = (f) => '/' + path.relative(out, path.resolve(root, f)).split(path.sep).join('/');
const assets = Object.keys(result.metafile.outputs).map(url);
// The entry's script and stylesheet, and the shared chunks it imports statically (preloaded): the first visit.
const [mainOut, mainMeta] = Object.entries(result.metafile.outputs).find(([, o]) => o.entryPoint);
const js = url(mainOut);
const css = mainMeta.cssBundle ? url(mainMeta.cssBundle) : undefined;
const preload = mainMeta.imports.filter((i) => i.kind === 'import-statement').map((i) => url(i.path));
const firstVisit = new Set(['/index.html', js, ...(css ? [css] : []), ...preload]);
const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light">
<meta name="theme-color" content="#1f55c9">
<title>Home Drive</title>
<link rel="icon" href="data:,">
${css ? `<link rel="stylesheet" href="${css}">` : ''}
<script type="module" src="${js}"></script>
${preload.map((p) => `<link rel="modulepreload" href="${p}">`).join('\n')}
</head>
<body>
<div id="app"><noscript>Home Drive needs JavaScript. / Home Drive a besoin de JavaScript.</noscript></div>
<div id="live" class="visually-hidden" aria-live="polite"></div>
</body>
</html>
`;
fs.writeFileSync(path.join(out, 'index.html'), html);

// What a phone downloads on its first visit, compressed as it would be on the wire.
let raw = 0;
let gz = 0;
let lazyGz = 0;
for (const f of ['/index.html', ...assets]) {
  const buf = fs.readFileSync(path.join(out, f));
  const z = zlib.gzipSync(buf, { level: 9 });
  if (firstVisit.has(f)) {
    raw += buf.length;
    gz += z.length;
  } else if (!f.endsWith('.map')) lazyGz += z.length;
  // The daemon serves these to browsers that accept gzip (index.html stays plain: it is tiny).
  if (f !== '/index.html') fs.writeFileSync(path.join(out, f + '.gz'), z);
}
console.log(
  `web: built ${assets.length + 1} files into web/dist, first visit ${(raw / 1024).toFixed(1)} KB (${(gz / 1024).toFixed(1)} KB gzipped), loaded on demand ${(lazyGz / 1024).toFixed(1)} KB gzipped`,
);
