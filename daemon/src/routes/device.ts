// /api/admin/device: the appliance itself from the console — restart or power off with a warning to
// everyone first; the Wi-Fi, hostname and time zone, applied by the root helper and confirmed from
// the new network or put back by themselves. Admins only.
import { Hono } from 'hono';
import { z } from 'zod';
import type { DeviceResponse, DeviceSettingsApplied, DeviceSettingsResponse } from '../api-types.js';
import { badRequest, HttpError } from '../errors.js';
import { readJson, type AppEnv } from '../http.js';
import type { Deps } from '../deps.js';
import { HelperRefused, HelperUnavailable, RootHelper } from '../services/root-helper.js';
import { adminOnly } from './auth.js';

const NO_STORE = { 'Cache-Control': 'no-store' };

/** The helper's refusals in the API's vocabulary; the values themselves are judged by the helper alone. */
function helperError(err: unknown): unknown {
  if (err instanceof HelperUnavailable) return new HttpError('helper_unavailable', `The device's settings cannot be reached: ${err.message}.`);
  if (!(err instanceof HelperRefused)) return err;
  switch (err.code) {
    case 'bad_settings':
    case 'bad_request':
      return badRequest('invalid_settings', err.message);
    case 'busy':
      return new HttpError('settings_busy', 'The previous change is still being applied: try again in a few seconds.');
    case 'not_applied_yet':
      return new HttpError('settings_not_applied', 'The change is still being applied: confirm once the drive answers on the new settings.');
    case 'nothing_pending':
      return new HttpError('nothing_to_confirm', err.message);
    default:
      return new HttpError('helper_unavailable', `The device could not apply this: ${err.message}`);
  }
}

const powerBody = z.object({
  action: z.enum(['poweroff', 'reboot']),
  /** How long connected users are warned first; the default is HCD_SHUTDOWN_WARNING_SECONDS. */
  inSeconds: z.number().int().min(0).max(3600).optional(),
});

export function deviceRoutes(deps: Deps) {
  const app = new Hono<AppEnv>();
  const { health, audit, clock, config } = deps;
  app.use('/*', adminOnly);

  app.get('/', (c) => c.json({ notice: health.guard.notice(), powerFailure: health.guard.lastFailure } satisfies DeviceResponse, 200, NO_STORE));

  app.post('/power', async (c) => {
    const parsed = powerBody.safeParse(await readJson(c));
    if (!parsed.success) throw badRequest('bad_request', 'Send {"action": "poweroff" | "reboot", "inSeconds"?: 0 to 3600}.');
    const { action, inSeconds = config.shutdownWarningSeconds } = parsed.data;
    const notice = health.guard.schedule(action, inSeconds, clock.now(), c.var.caller.actor.username);
    audit.by(c.var.caller, 'shutdown', 'device', { action, inSeconds, planned: true });
    return c.json({ notice }, 202);
  });

  // A settings change starts its units with systemctl and systemd-run (up to 5 s each in the helper),
  // after the helper itself has started: the default 15 s was exceeded in the emulated image test
  // (as for the disk verbs, routes/disks.ts), and an SD card under load on a Pi can be slow too.
  const helper = new RootHelper(config.helperSocket, 60_000);
  const ask = <T>(verb: string, args: Record<string, unknown>) => helper.ask<T>(verb, args).catch((err: unknown) => Promise.reject(helperError(err)));

  app.get('/settings', async (c) => c.json(await ask<DeviceSettingsResponse>('settings_get', {}), 200, NO_STORE));

  app.put('/settings', async (c) => {
    const { revertAfterSeconds, ...change } = await readJson(c);
    const by = c.var.caller.actor.username;
    const r = await ask<DeviceSettingsApplied>('settings_apply', { change, by, ...(revertAfterSeconds === undefined ? {} : { revertAfterSeconds }) });
    // The keys, never the values: a passphrase has no place in the audit.
    if (r.changed.length > 0) audit.by(c.var.caller, 'device_settings', 'device', { changed: r.changed, confirmBy: r.pending?.deadline ?? null });
    return c.json(r, r.changed.length > 0 ? 202 : 200, NO_STORE);
  });

  app.post('/settings/confirm', async (c) => {
    const r = await ask<{ confirmed: true; changed: string[] }>('settings_confirm', { by: c.var.caller.actor.username });
    audit.by(c.var.caller, 'device_settings_confirm', 'device', { changed: r.changed });
    return c.json(r, 200, NO_STORE);
  });

  app.delete('/power', (c) => {
    const cancelled = health.guard.cancel();
    if (cancelled) audit.by(c.var.caller, 'shutdown', 'device', { action: 'cancel' });
    return c.json({ cancelled });
  });

  return app;
}
