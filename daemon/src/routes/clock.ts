// /api/admin/clock: sets the device's clock from the admin's browser (the Pi has no real-time clock). Admins only.
import { Hono } from 'hono';
import { z } from 'zod';
import type { ClockSetResponse } from '../api-types.js';
import { HttpError, badRequest } from '../errors.js';
import { readJson, type AppEnv } from '../http.js';
import type { Deps } from '../deps.js';
import { adminOnly } from './auth.js';

export function clockRoutes(deps: Deps) {
  const app = new Hono<AppEnv>();
  app.use('*', adminOnly);

  const clockBody = z.object({ time: z.iso.datetime({ offset: true }) });
  app.post('/', async (c) => {
    const parsed = clockBody.safeParse(await readJson(c));
    if (!parsed.success) throw badRequest('bad_request', 'Send {"time": "<ISO 8601 date and time>"}, e.g. the browser\'s new Date().toISOString().');
    const target = Date.parse(parsed.data.time);
    // Before 2024 cannot be today's date; it would also make every session and sample look ancient.
    if (!Number.isFinite(target) || target < Date.UTC(2024, 0, 1) || target > Date.UTC(2100, 0, 1)) {
      throw badRequest('bad_request', 'That date is not plausible for today.');
    }
    const before = deps.clock.now();
    const seconds = String(Math.round(target / 1000));
    const iso = new Date(target).toISOString();
    const r = await deps.health.run(deps.config.setClockCommand, { seconds, iso });
    const detail = { from: new Date(before).toISOString(), to: iso, ok: r.ok, ...(r.ok ? {} : { output: r.output }) };
    deps.audit.by(c.var.caller, 'clock_set', 'device', detail);
    if (!r.ok) throw new HttpError('internal_error', `The device clock could not be set: ${r.output || `exit code ${r.code}`}.`);
    return c.json({ previous: detail.from, requested: iso, now: new Date(deps.clock.now()).toISOString() } satisfies ClockSetResponse);
  });
  return app;
}
