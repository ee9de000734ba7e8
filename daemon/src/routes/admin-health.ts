// /api/admin/health (now, history, jobs), /api/admin/clock (admins only), and the public /api/notice users' browsers poll.
import { Hono, type Context } from 'hono';
import { z } from 'zod';
import type { ClockSetResponse, JobDetail, JobRunResponse, NoticeResponse } from '../api-types.js';
import { HttpError, badRequest, forbidden, notFound } from '../errors.js';
import { clientIp, readJson, type AppEnv } from '../http.js';
import { canAdminister } from '../policy/policy.js';
import { healthOf } from '../health/service.js';
import { METRICS, type Metric } from '../health/samples.js';
import type { Deps } from '../app.js';

/** Mounted at /api/admin: this sub-app guards itself, whatever the mount order around it. */
export function adminHealthRoutes(deps: Deps) {
  const app = new Hono<AppEnv>();
  const health = () => healthOf(deps);

  app.use('/health/*', adminOnly);
  app.use('/health', adminOnly);
  app.use('/clock', adminOnly);

  app.get('/health', async (c) => c.json(await health().now(), 200, { 'Cache-Control': 'no-store' }));

  app.get('/health/history', (c) => {
    const range = c.req.query('range') ?? '24h';
    if (range !== '24h' && range !== '7d') throw badRequest('bad_request', 'range is 24h (minute samples) or 7d (hourly roll-ups).');
    const asked = c.req.queries('metric')?.flatMap((m) => m.split(',')).map((m) => m.trim()).filter(Boolean) ?? [];
    const bad = asked.filter((m) => !(METRICS as readonly string[]).includes(m));
    if (bad.length > 0) throw badRequest('bad_request', `Unknown metric ${bad.join(', ')}; known: ${METRICS.join(', ')}.`);
    const metrics = (asked.length > 0 ? [...new Set(asked)] : [...METRICS]) as Metric[];
    const nowSec = Math.floor(deps.clock.now() / 1000);
    return c.json(health().samples.history(range, metrics, nowSec), 200, { 'Cache-Control': 'no-store' });
  });

  app.get('/health/jobs/:name', (c) => {
    const name = c.req.param('name');
    const status = health().jobs.status().find((j) => j.name === name);
    if (!status) throw notFound(`No job named "${name}".`);
    return c.json({ ...status, history: health().jobs.history(name) } satisfies JobDetail);
  });

  app.post('/health/jobs/:name/run', async (c) => {
    const name = c.req.param('name');
    if (!health().jobs.names().includes(name)) throw notFound(`No job named "${name}".`);
    const r = await health().jobs.run(name, 'manual');
    deps.audit.record({ actor: c.get('user').username, ip: clientIp(c), action: 'job_run', target: `job:${name}`, detail: { outcome: r.outcome, error: r.error } });
    return c.json({ name, outcome: r.outcome, startedAt: new Date(r.startedAt).toISOString(), durationMs: r.durationMs, summary: r.summary, error: r.error } satisfies JobRunResponse);
  });

  const clockBody = z.object({ time: z.iso.datetime({ offset: true }) });
  app.post('/clock', async (c) => {
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
    const r = await health().run(deps.config.setClockCommand, { seconds, iso });
    const detail = { from: new Date(before).toISOString(), to: iso, ok: r.ok, ...(r.ok ? {} : { output: r.output }) };
    deps.audit.record({ actor: c.get('user').username, ip: clientIp(c), action: 'clock_set', target: 'device', detail });
    if (!r.ok) throw new HttpError('internal_error', `The device clock could not be set: ${r.output || `exit code ${r.code}`}.`);
    return c.json({ previous: detail.from, requested: iso, now: new Date(deps.clock.now()).toISOString() } satisfies ClockSetResponse);
  });

  return app;
}

/** GET /api/notice: public, what every connected browser must know now (a critical battery's power-off). */
export function noticeRoutes(deps: Deps) {
  const app = new Hono<AppEnv>();
  app.get('/', (c) => c.json({ notice: healthOf(deps).guard.notice() } satisfies NoticeResponse, 200, { 'Cache-Control': 'no-store' }));
  return app;
}

async function adminOnly(c: Context<AppEnv>, next: () => Promise<void>) {
  const user = c.get('user');
  if (!user || !canAdminister(user)) throw forbidden('Only administrators may do this.');
  await next();
}
