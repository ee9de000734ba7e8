// /api/notice: public, what every connected browser must know now (a critical battery's power-off).
import { Hono } from 'hono';
import type { NoticeResponse } from '../api-types.js';
import type { AppEnv } from '../http.js';
import type { Deps } from '../deps.js';

export function noticeRoutes(deps: Deps) {
  const app = new Hono<AppEnv>();
  app.get('/', (c) => c.json({ notice: deps.health.guard.notice() } satisfies NoticeResponse, 200, { 'Cache-Control': 'no-store' }));
  return app;
}
