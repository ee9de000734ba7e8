// /api/admin/backups: the database backups on the SSD (list, make one, download one, restore one). Admins only.
import fs from 'node:fs';
import { Readable } from 'node:stream';
import { Hono } from 'hono';
import type { BackupsResponse } from '../api-types.js';
import { badRequest } from '../errors.js';
import { readJson, type AppEnv } from '../http.js';
import type { Deps } from '../deps.js';
import { adminOnly } from './auth.js';

export function backupRoutes(deps: Deps) {
  const app = new Hono<AppEnv>();
  const { backups, audit, store, lifecycle } = deps;
  app.use('/*', adminOnly);

  app.get('/', async (c) =>
    c.json({ backups: await backups.list(), offer: await backups.offer(), storage: store.available() } satisfies BackupsResponse, 200, {
      'Cache-Control': 'no-store',
    }),
  );

  app.post('/', async (c) => {
    const made = await backups.make();
    audit.by(c.var.caller, 'backup_create', `backup:${made.name}`, { bytes: made.bytes });
    return c.json(made, 201);
  });

  app.get('/:name', async (c) => {
    const f = await backups.file(c.req.param('name'));
    const stream = fs.createReadStream(f.path);
    return c.body(Readable.toWeb(stream) as ReadableStream, 200, {
      'Content-Type': 'application/vnd.sqlite3',
      'Content-Length': String(f.bytes),
      'Content-Disposition': `attachment; filename="${c.req.param('name')}"`,
      'Cache-Control': 'no-store',
      'X-Content-Type-Options': 'nosniff',
    });
  });

  // {"confirm": "<name>"}: the name typed again, as a restore replaces every account and the index.
  app.post('/:name/restore', async (c) => {
    const name = c.req.param('name');
    const body = await readJson(c);
    if (body.confirm !== name)
      throw badRequest('bad_request', `Send {"confirm": "${name}"} to restore this backup: it replaces every account, session and the index of files.`);
    const info = await backups.stageRestore(c.var.caller, name);
    // After this answer has gone out: writes stop, uploads in flight finish, and the start swaps the files.
    setTimeout(() => lifecycle.restart(`restore ${name}`), 100).unref();
    return c.json({ restoring: info, restarting: true }, 202);
  });

  return app;
}
