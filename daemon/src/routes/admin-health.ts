// /api/admin/health: the dashboard's readings now, their history, and the scheduled jobs. Admins only.
import { Hono } from 'hono';
import type { JobDetail, JobRunResponse } from '../api-types.js';
import { badRequest, notFound } from '../errors.js';
import type { AppEnv } from '../http.js';
import { METRICS, type Metric } from '../health/samples.js';
import type { Deps } from '../deps.js';
import { adminOnly } from './auth.js';
import { errorCodeOf } from '../jobs/runner.js';

/** Mounted at /api/admin/health: this sub-app guards itself, whatever the mount order around it. */
export function adminHealthRoutes(deps: Deps) {
  const app = new Hono<AppEnv>();
  const { health } = deps;
  app.use('*', adminOnly);

  app.get('/', async (c) => c.json(await health.now(), 200, { 'Cache-Control': 'no-store' }));

  app.get('/history', (c) => {
    const range = c.req.query('range') ?? '24h';
    if (range !== '24h' && range !== '7d') throw badRequest('bad_request', 'range is 24h (minute samples) or 7d (hourly roll-ups).');
    const asked =
      c.req
        .queries('metric')
        ?.flatMap((m) => m.split(','))
        .map((m) => m.trim())
        .filter(Boolean) ?? [];
    const bad = asked.filter((m) => !(METRICS as readonly string[]).includes(m));
    if (bad.length > 0) throw badRequest('bad_request', `Unknown metric ${bad.join(', ')}; known: ${METRICS.join(', ')}.`);
    const metrics = (asked.length > 0 ? [...new Set(asked)] : [...METRICS]) as Metric[];
    const nowSec = Math.floor(deps.clock.now() / 1000);
    return c.json(health.samples.history(range, metrics, nowSec), 200, { 'Cache-Control': 'no-store' });
  });

  app.get('/jobs/:name', (c) => {
    const name = c.req.param('name');
    const status = health.jobs.status().find((j) => j.name === name);
    if (!status) throw notFound(`No job named "${name}".`);
    return c.json({ ...status, history: health.jobs.history(name) } satisfies JobDetail);
  });

  app.post('/jobs/:name/run', async (c) => {
    const name = c.req.param('name');
    if (!health.jobs.names().includes(name)) throw notFound(`No job named "${name}".`);
    const r = await health.jobs.run(name, 'manual');
    deps.audit.by(c.var.caller, 'job_run', `job:${name}`, { outcome: r.outcome, error: r.error });
    return c.json({
      name,
      outcome: r.outcome,
      startedAt: new Date(r.startedAt).toISOString(),
      durationMs: r.durationMs,
      summary: r.summary,
      error: r.error,
      summaryCode: health.jobs.describe(name, r.summary),
      errorCode: errorCodeOf(r.error),
    } satisfies JobRunResponse);
  });

  return app;
}
