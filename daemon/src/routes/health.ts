// /api/health: public and minimal, for probes and the UI's "storage missing" banner.
import { Hono } from 'hono';
import type { PublicHealth } from '../api-types.js';
import type { AppEnv } from '../http.js';
import type { Deps } from '../deps.js';
import { appVersion } from '../version.js';

export function healthRoutes(deps: Deps) {
  const app = new Hono<AppEnv>();
  const { store, config } = deps;
  app.get('/', async (c) => {
    const storage = store.storageState();
    // A disk down to its reserve takes no upload: as much a fault as a missing one.
    let diskFull = false;
    if (storage !== 'missing') {
      try {
        diskFull = (await store.freeBytes(false)).free <= config.minFreeBytes && config.minFreeBytes > 0;
      } catch {
        diskFull = false;
      }
    }
    const status = storage === 'missing' || diskFull ? 'degraded' : 'ok';
    // Without HCD_REQUIRE_MOUNT the data root is a plain folder: usable, so reported as mounted.
    return c.json(
      {
        status,
        storage: storage === 'local' ? 'mounted' : storage,
        mountRequired: storage !== 'local',
        diskFull,
        version: appVersion(),
      } satisfies PublicHealth,
      200,
      {
        'Cache-Control': 'no-store',
      },
    );
  });
  return app;
}
