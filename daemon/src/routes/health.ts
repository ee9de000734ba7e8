// /api/health: public and minimal, for probes and the UI's "storage missing" banner.
import { Hono } from 'hono';
import type { PublicHealth } from '../api-types.js';
import type { AppEnv } from '../http.js';
import type { Deps } from '../app.js';

export function healthRoutes(deps: Deps) {
  const app = new Hono<AppEnv>();
  app.get('/', (c) => {
    const storage = deps.drive.store.storageState();
    const status = storage === 'missing' ? 'degraded' : 'ok';
    // Without HCD_REQUIRE_MOUNT the data root is a plain folder: usable, so reported as mounted.
    return c.json({ status, storage: storage === 'local' ? 'mounted' : storage, mountRequired: storage !== 'local' } satisfies PublicHealth, 200, { 'Cache-Control': 'no-store' });
  });
  return app;
}
