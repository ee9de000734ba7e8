// The browser UI: static files built into web/dist, served by the device itself (no CDN, ever).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import crypto from 'node:crypto';
import { Hono, type Context } from 'hono';
import { getMimeType } from 'hono/utils/mime';
import type { AppEnv } from '../http.js';
import type { Deps } from '../deps.js';
import { errorResponse } from '../errors.js';

/**
 * The app's own pages: scripts only from the device; blob: for PDF previews and media; no framing by
 * others. Inline styles stay allowed for SVG attributes (QR code, charts).
 */
const PAGE_HEADERS = {
  'Content-Security-Policy':
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; media-src 'self' blob:; frame-src 'self' blob:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
};

/** web/dist, found from the source tree or from the compiled dist/daemon/src/routes. */
export function findWebDist(): string | null {
  const here = path.dirname(fileURLToPath(import.meta.url));
  for (const up of ['../../../web/dist', '../../../../web/dist']) {
    const d = path.resolve(here, up);
    if (fs.existsSync(path.join(d, 'index.html'))) return d;
  }
  return null;
}

export function webRoutes(_deps: Deps, dist = findWebDist()) {
  const app = new Hono<AppEnv>();
  // The index is built once at start: only these files are ever served (sirv's approach), from memory
  // (the whole UI is a few hundred KB), each with a strong validator so a returning phone gets a 304.
  const files = new Map<string, { body: Uint8Array<ArrayBuffer>; etag: string }>();
  if (dist) {
    const walk = (dir: string) => {
      for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
        const abs = path.join(dir, e.name);
        if (e.isDirectory()) walk(abs);
        else if (e.isFile()) {
          const body = new Uint8Array(fs.readFileSync(abs));
          files.set('/' + path.relative(dist, abs).split(path.sep).join('/'), {
            body,
            etag: `"${crypto.createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`,
          });
        }
      }
    };
    walk(dist);
  }
  const send = (c: Context<AppEnv>, f: { body: Uint8Array<ArrayBuffer>; etag: string }, headers: Record<string, string>) => {
    const inm = c.req.header('if-none-match');
    if (inm && inm.split(',').some((t) => t.trim().replace(/^W\//, '') === f.etag))
      return c.body(null, 304, { ETag: f.etag, 'Cache-Control': headers['Cache-Control']!, ...(headers.Vary ? { Vary: headers.Vary } : {}) });
    return c.body(f.body, 200, { ...headers, ETag: f.etag });
  };
  app.get('/*', (c) => {
    const p = c.req.path;
    const file = files.get(p);
    if (file) {
      // Hashed assets (esbuild's [name].[hash], base32) never change; everything else is revalidated.
      const immutable = /^\/assets\/[^/]+\.[0-9A-Za-z]{8,}\.[a-z0-9]+$/.test(p);
      const headers: Record<string, string> = {
        'Content-Type': getMimeType(p) ?? 'application/octet-stream',
        'Cache-Control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
        'X-Content-Type-Options': 'nosniff',
        ...(p.endsWith('.html') ? PAGE_HEADERS : {}),
      };
      // The build leaves a .gz beside each script and stylesheet: compressed once, never on the Pi's CPU.
      const gz = files.get(`${p}.gz`);
      if (gz) headers.Vary = 'Accept-Encoding';
      if (gz && /\bgzip\b/.test(c.req.header('accept-encoding') ?? '')) return send(c, gz, { ...headers, 'Content-Encoding': 'gzip' });
      return send(c, file, headers);
    }
    // A missing asset is a stale page asking for an old build: a 404, not the app's HTML.
    if (p.startsWith('/assets/')) return errorResponse('not_found', 'Not found.');
    const index = files.get('/index.html');
    if (index) return send(c, index, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-cache', ...PAGE_HEADERS });
    return c.html(
      '<!doctype html><meta charset="utf-8"><title>Home Container Drive</title>' +
        '<h1>Home Container Drive</h1><p>The daemon is running. The web UI has not been built (<code>npm run build</code>); the API is under <code>/api/</code>.</p>',
    );
  });
  return app;
}
