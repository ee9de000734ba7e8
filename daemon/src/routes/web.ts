// The browser UI: static files built into web/dist, served by the device itself (no CDN, ever).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Hono } from 'hono';
import { getMimeType } from 'hono/utils/mime';
import type { AppEnv } from '../http.js';
import type { Deps } from '../app.js';

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
  // The index is built once at start: only these files are ever served (sirv's approach).
  const files = new Map<string, string>();
  if (dist) {
    const walk = (dir: string) => {
      for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
        const abs = path.join(dir, e.name);
        if (e.isDirectory()) walk(abs);
        else if (e.isFile()) files.set('/' + path.relative(dist, abs).split(path.sep).join('/'), abs);
      }
    };
    walk(dist);
  }
  app.get('/*', (c) => {
    const p = c.req.path;
    const abs = files.get(p);
    if (abs) {
      // Hashed assets never change; everything else is revalidated.
      const immutable = /\.[0-9a-f]{8,}\./.test(p);
      return c.body(fs.readFileSync(abs), 200, {
        'Content-Type': getMimeType(p) ?? 'application/octet-stream',
        'Cache-Control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
      });
    }
    const index = files.get('/index.html');
    if (index) return c.body(fs.readFileSync(index), 200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-cache' });
    return c.html(
      '<!doctype html><meta charset="utf-8"><title>Home Container Drive</title>' +
        '<h1>Home Container Drive</h1><p>The daemon is running. The web UI has not been built (<code>npm run build</code>); the API is under <code>/api/</code>.</p>',
    );
  });
  return app;
}
