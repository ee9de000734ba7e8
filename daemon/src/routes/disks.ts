// /api/admin/disks: the USB disks the Pi sees, preparing one as the drive's storage, importing a stick
// into the workspace, exporting a workspace folder to a stick, ejecting (issue 17 item 3). The root
// helper does it all (provisioning/helper/disk-verbs.ts): the daemon relays, maps its refusals to the
// API's codes, audits, and once an import has finished re-indexes the disk so that the files copied in
// behind its back appear at once (the nightly reconcile job would find them too, hours later). Admins only.
import { Hono, type Context } from 'hono';
import { z } from 'zod';
import type { JobProgress } from '../../../provisioning/disks-job.js';
import type { DisksListResult } from '../../../provisioning/helper/disk-verbs.js';
import { badRequest, conflict, HttpError, notFound } from '../errors.js';
import { readJson, type AppEnv } from '../http.js';
import type { Deps } from '../deps.js';
import { HelperRefused, HelperUnavailable, RootHelper } from '../services/root-helper.js';
import { adminOnly } from './auth.js';

const NO_STORE = { 'Cache-Control': 'no-store' };

/** GET /api/admin/disks/jobs/{id}: the job's progress, and for a finished import what the re-index found. */
export type DiskJobResponse = JobProgress & { reconciled: { added: number } | null };

/** The helper's refusals in the API's vocabulary, its message (naming the disk) kept. */
function helperError(err: unknown): unknown {
  if (err instanceof HelperUnavailable) return new HttpError('helper_unavailable', `The disks cannot be reached: ${err.message}.`);
  if (!(err instanceof HelperRefused)) return err;
  switch (err.code) {
    case 'bad_request':
    case 'bad_disk':
    case 'bad_folder':
    case 'unsupported_fs':
      return badRequest('invalid_disk', err.message);
    case 'system_disk':
    case 'storage_disk':
    case 'wrong_confirmation':
    case 'mounted':
    case 'read_only':
    case 'label_in_use':
      return conflict('disk_refused', err.message);
    case 'busy':
      return conflict('disk_busy', err.message);
    case 'no_job':
      return notFound(err.message);
    default:
      return new HttpError('helper_unavailable', `The drive could not do this: ${err.message}`);
  }
}

// The shapes only; the values are judged by the helper (and the helper alone decides what a disk is).
const prepareBody = z.strictObject({ disk: z.string(), confirm: z.string() });
const copyBody = z.strictObject({ partition: z.string(), folder: z.string() });
const ejectBody = z.strictObject({ disk: z.string() });

export function diskRoutes(deps: Deps) {
  const app = new Hono<AppEnv>();
  const { audit, config, reconciler, drive } = deps;
  app.use('/*', adminOnly);
  // Every disk verb but disks_job lists the disks: the helper starts a second Node program as a
  // transient unit (provisioning/disks-job.ts list), given up to 60 s (listTimeoutMs in
  // provisioning/helper/disk-verbs.ts). The default 15 s was exceeded in the emulated image test; an
  // SD card under load on a Pi can be slow too.
  const helper = new RootHelper(config.helperSocket, 90_000);
  const ask = <T>(verb: string, args: Record<string, unknown>) => helper.ask<T>(verb, args).catch((err: unknown) => Promise.reject(helperError(err)));
  /** Imports already re-indexed by this daemon (a job is polled every second until the console sees it end). */
  const reconciled = new Map<string, { added: number }>();

  app.get('/', async (c) => c.json(await ask<DisksListResult>('disks_list', {}), 200, NO_STORE));

  const body = async <T>(c: Context, schema: z.ZodType<T>, shape: string): Promise<T> => {
    const parsed = schema.safeParse(await readJson(c));
    if (!parsed.success) throw badRequest('invalid_disk', `Send ${shape}.`);
    return parsed.data;
  };

  app.post('/prepare', async (c) => {
    const { disk, confirm } = await body(c, prepareBody, '{"disk": "/dev/sdX", "confirm": the disk\'s name as listed}');
    const r = await ask<{ id: string }>('disks_prepare', { disk, confirm, by: c.var.caller.actor.username });
    audit.by(c.var.caller, 'disk_prepare', disk, { job: r.id });
    return c.json(r, 202);
  });

  for (const [route, verb, action] of [
    ['/import', 'disks_import', 'disk_import'],
    ['/export', 'disks_export', 'disk_export'],
  ] as const) {
    app.post(route, async (c) => {
      const { partition, folder } = await body(c, copyBody, '{"partition": "/dev/sdXN", "folder": a folder of the workspace}');
      const r = await ask<{ id: string }>(verb, { partition, folder, by: c.var.caller.actor.username });
      audit.by(c.var.caller, action, partition, { folder, job: r.id });
      return c.json(r, 202);
    });
  }

  app.post('/eject', async (c) => {
    const { disk } = await body(c, ejectBody, '{"disk": "/dev/sdX"}');
    const r = await ask<{ id: string }>('disks_eject', { disk, by: c.var.caller.actor.username });
    audit.by(c.var.caller, 'disk_eject', disk, { job: r.id });
    return c.json(r, 202);
  });

  app.get('/jobs/:id', async (c) => {
    const id = c.req.param('id');
    const p = await ask<JobProgress>('disks_job', { id });
    let done = reconciled.get(p.id) ?? null;
    if (!done && p.command === 'import' && p.state === 'done' && drive.store.available(true)) {
      const { actor, ip } = c.var.caller;
      const rep = await reconciler.reconcile(actor.username, ip);
      done = { added: rep.added };
      reconciled.set(p.id, done);
    }
    return c.json({ ...p, reconciled: done } satisfies DiskJobResponse, 200, NO_STORE);
  });

  return app;
}
