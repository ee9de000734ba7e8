// /api/admin/update: installing a signed update bundle from the console (issue 17 item 5). Admins only.
//   POST /            the bundle as the request body (at most 300 MB, streamed to disk, never held whole) is written
//                     to <updateDir>/<16 hex>.hcdb and handed to the root helper's update_check, which copies it
//                     where only root can write and verifies it; 201 with the versions, or 400 invalid_bundle.
//   GET /             the running and previous versions, an update in flight, the last outcome.
//   POST /install     {id}: the helper starts the install (202); the daemon restarts during it.
//   POST /rollback    back to the previous version (202).
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { chmod, mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Hono } from 'hono';
import type { PendingUpdate, UpdateCheckResponse, UpdateStatusResponse } from '../api-types.js';
import { badRequest, HttpError } from '../errors.js';
import { readJson, type AppEnv } from '../http.js';
import type { Deps } from '../deps.js';
import { HelperRefused, HelperUnavailable, RootHelper } from '../services/root-helper.js';
import { adminOnly } from './auth.js';

/** A release bundle is ~40 MB; anything this large is not one. */
export const UPDATE_MAX_BYTES = 300 * 1024 * 1024;
const NO_STORE = { 'Cache-Control': 'no-store' };

function helperError(err: unknown): unknown {
  if (err instanceof HelperUnavailable) return new HttpError('helper_unavailable', `The update service cannot be reached: ${err.message}.`);
  if (!(err instanceof HelperRefused)) return err;
  switch (err.code) {
    case 'invalid_bundle':
      return badRequest('invalid_bundle', `This is not an update this drive accepts: ${err.message}`);
    case 'bad_request':
      return badRequest('bad_request', err.message);
    case 'busy':
      return new HttpError('update_busy', 'An update is being installed: wait for its outcome.');
    case 'unknown_bundle':
      return new HttpError('not_found', 'This bundle is no longer waiting to be installed: upload it again.');
    case 'no_previous':
      return new HttpError('not_found', 'There is no previous version to go back to.');
    default:
      return new HttpError('helper_unavailable', `The update could not be handled: ${err.message}`);
  }
}

/** maxBytes: UPDATE_MAX_BYTES; smaller only in tests (a body cut as it arrives, without sending 300 MB). */
export function updateRoutes(deps: Deps, maxBytes = UPDATE_MAX_BYTES) {
  const app = new Hono<AppEnv>();
  const { audit, config } = deps;
  app.use('/*', adminOnly);
  // An install starts its unit with systemd-run after the helper itself has started: the default
  // 15 s was exceeded in the emulated image test (as for settings, routes/device.ts, and disks).
  const helper = new RootHelper(config.helperSocket, 60_000);
  // Checking reads the whole bundle twice (its hash, then every tar header through xz): far longer than a status.
  const slowHelper = new RootHelper(config.helperSocket, 180_000);
  const ask = <T>(verb: string, args: Record<string, unknown>, via = helper) =>
    via.ask<T>(verb, args).catch((err: unknown) => Promise.reject(helperError(err)));

  app.get('/', async (c) => c.json(await ask<UpdateStatusResponse>('update_status', {}), 200, NO_STORE));

  app.post('/', async (c) => {
    const tooLarge = () => new HttpError('payload_too_large', `An update bundle has at most ${Math.floor(maxBytes / (1024 * 1024))} MB (${maxBytes} bytes).`);
    const len = c.req.header('content-length');
    if (len !== undefined && !/^\d+$/.test(len)) throw badRequest('bad_request', 'Invalid Content-Length.');
    if (len !== undefined && Number(len) > maxBytes) throw tooLarge();
    const incoming = c.env?.incoming;
    const raw = incoming ?? (c.req.raw.body ? Readable.fromWeb(c.req.raw.body as import('node:stream/web').ReadableStream) : Readable.from([]));
    // The root helper reads it through the daemon's group (SupplementaryGroups=homedrive: it has no capabilities).
    // chmod, as the service's UMask=0077 would take the group's bits from mkdir's and open's modes.
    await mkdir(config.updateDir, { recursive: true, mode: 0o750 });
    await chmod(config.updateDir, 0o750);
    const file = path.join(config.updateDir, `${randomBytes(8).toString('hex')}.hcdb`);
    let seen = 0;
    const limit = new Transform({
      transform(chunk: Buffer, _enc, done) {
        seen += chunk.length;
        if (seen > maxBytes) done(tooLarge());
        else done(null, chunk);
      },
    });
    try {
      await pipeline(raw, limit, fs.createWriteStream(file, { flags: 'wx', mode: 0o600 }));
      await chmod(file, 0o640);
    } catch (err) {
      await rm(file, { force: true });
      if (err instanceof HttpError) throw err;
      throw new HttpError('upload_aborted', `The upload did not arrive whole: ${(err as Error).message}`);
    }
    if (seen === 0) {
      await rm(file, { force: true });
      throw badRequest('invalid_bundle', 'Send the .hcdb file as the request body.');
    }
    try {
      const checked = await ask<UpdateCheckResponse>('update_check', { file }, slowHelper);
      return c.json(checked, 201, NO_STORE);
    } finally {
      // Accepted or not, the helper has its own copy (or none): the daemon's is not needed any more.
      await rm(file, { force: true });
    }
  });

  app.post('/install', async (c) => {
    const body = await readJson(c);
    if (typeof body.id !== 'string' || !/^[0-9a-f]{16}$/.test(body.id)) throw badRequest('bad_request', 'Send {"id": "<the id of the checked bundle>"}.');
    const r = await ask<{ pending: PendingUpdate }>('update_install', { id: body.id });
    audit.by(c.var.caller, 'update_install', 'device', { id: body.id, version: r.pending.version });
    return c.json(r, 202, NO_STORE);
  });

  app.post('/rollback', async (c) => {
    const r = await ask<{ pending: PendingUpdate }>('update_rollback', {});
    audit.by(c.var.caller, 'update_rollback', 'device', { version: r.pending.version });
    return c.json(r, 202, NO_STORE);
  });

  return app;
}
