// /api/admin/device: the appliance itself from the console — restart or power off with a warning to everyone first. Admins only.
import { Hono } from 'hono';
import { z } from 'zod';
import type { DeviceResponse } from '../api-types.js';
import { badRequest } from '../errors.js';
import { readJson, type AppEnv } from '../http.js';
import type { Deps } from '../deps.js';
import { adminOnly } from './auth.js';

const powerBody = z.object({
  action: z.enum(['poweroff', 'reboot']),
  /** How long connected users are warned first; the default is HCD_SHUTDOWN_WARNING_SECONDS. */
  inSeconds: z.number().int().min(0).max(3600).optional(),
});

export function deviceRoutes(deps: Deps) {
  const app = new Hono<AppEnv>();
  const { health, audit, clock, config } = deps;
  app.use('/*', adminOnly);

  app.get('/', (c) =>
    c.json({ notice: health.guard.notice(), powerFailure: health.guard.lastFailure } satisfies DeviceResponse, 200, { 'Cache-Control': 'no-store' }),
  );

  app.post('/power', async (c) => {
    const parsed = powerBody.safeParse(await readJson(c));
    if (!parsed.success) throw badRequest('bad_request', 'Send {"action": "poweroff" | "reboot", "inSeconds"?: 0 to 3600}.');
    const { action, inSeconds = config.shutdownWarningSeconds } = parsed.data;
    const notice = health.guard.schedule(action, inSeconds, clock.now(), c.var.caller.actor.username);
    audit.by(c.var.caller, 'shutdown', 'device', { action, inSeconds, planned: true });
    return c.json({ notice }, 202);
  });

  app.delete('/power', (c) => {
    const cancelled = health.guard.cancel();
    if (cancelled) audit.by(c.var.caller, 'shutdown', 'device', { action: 'cancel' });
    return c.json({ cancelled });
  });

  return app;
}
