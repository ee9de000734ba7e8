// createApp(deps): middleware, one sub-app per capability, and the single error renderer.
import { Hono } from 'hono';
import { HttpError, INTERNAL_MESSAGE, badRequest, errorResponse, fromFsError } from './errors.js';
import { discardUnreadBody, rawPath, type AppEnv } from './http.js';
import type { Deps } from './deps.js';
import { adminRoutes } from './routes/admin.js';
import { adminHealthRoutes } from './routes/admin-health.js';
import { appPasswordRoutes } from './routes/app-passwords.js';
import { backupRoutes } from './routes/backups.js';
import { authRoutes, refuseCrossSite, requireAuth } from './routes/auth.js';
import { clockRoutes } from './routes/clock.js';
import { davRoutes } from './routes/dav.js';
import { deviceRoutes } from './routes/device.js';
import { diskRoutes } from './routes/disks.js';
import { updateRoutes } from './routes/update.js';
import { fileRoutes } from './routes/files.js';
import { groupRoutes } from './routes/groups.js';
import { handinRoutes } from './routes/handins.js';
import { healthRoutes } from './routes/health.js';
import { guestRoutes, linkRoutes } from './routes/links.js';
import { noticeRoutes } from './routes/notice.js';
import { portalRoutes } from './routes/portal.js';
import { trashRoutes } from './routes/trash.js';
import { tusRoutes } from './routes/tus.js';
import { webRoutes } from './routes/web.js';

export function createApp(deps: Deps) {
  const app = new Hono<AppEnv>();
  const { log } = deps;

  app.use('*', discardUnreadBody);
  app.use('*', async (c, next) => {
    const t0 = performance.now();
    await next();
    const ms = Math.round(performance.now() - t0);
    const fields = { method: c.req.method, path: c.req.path, status: c.res.status, ms, user: c.var.caller?.actor.username };
    if (c.res.status >= 500) log.error('request', fields);
    else if (c.req.method === 'GET' || c.req.method === 'HEAD') log.debug('request', fields);
    else log.info('request', fields);
  });

  // The URL parser resolves "..", so a traversal would silently reach another route: refuse it
  // on the raw request target instead, in every spelling (plain, percent-encoded, backslash).
  app.use('*', async (c, next) => {
    const raw = rawPath(c);
    for (const seg of raw.split(/\/|%2f|%5c|\\/i)) {
      let s = seg;
      try {
        s = decodeURIComponent(seg);
      } catch {
        /* left to the route's own decoding, which reports it */
      }
      if (s === '..' || s === '.') throw badRequest('invalid_path', `"${s}" is not allowed in a path.`);
    }
    await next();
  });
  app.use('/api/*', refuseCrossSite);
  app.route('/api/health', healthRoutes(deps));
  app.route('/api/notice', noticeRoutes(deps));
  app.use('/api/auth/app-passwords', requireAuth(deps));
  app.use('/api/auth/app-passwords/*', requireAuth(deps));
  app.route('/api/auth/app-passwords', appPasswordRoutes(deps));
  app.route('/api/auth', authRoutes(deps));
  // /api/tus authenticates itself: a guest's drop-box upload carries its link instead of a session.
  for (const p of ['/api/fs/*', '/api/trash/*', '/api/trash', '/api/admin/*']) app.use(p, requireAuth(deps));
  app.route('/api/fs', fileRoutes(deps));
  app.route('/api/trash', trashRoutes(deps));
  app.route('/api/tus', tusRoutes(deps));
  app.route('/api/links', linkRoutes(deps));
  app.route('/api/handins', handinRoutes(deps));
  app.route('/api/s', guestRoutes(deps));
  app.route('/api/admin', adminRoutes(deps));
  app.route('/api/admin', groupRoutes(deps));
  app.route('/api/admin/health', adminHealthRoutes(deps));
  app.route('/api/admin/clock', clockRoutes(deps));
  app.route('/api/admin/backups', backupRoutes(deps));
  app.route('/api/admin/device', deviceRoutes(deps));
  app.route('/api/admin/disks', diskRoutes(deps));
  app.route('/api/admin/update', updateRoutes(deps));
  // WebDAV for laptops' file managers, before the portal: they name the drive by any host name.
  app.route('/dav', davRoutes(deps));
  // Captive portal: probes and foreign Host names, before the API's 404 and the web UI's fallback.
  app.route('/', portalRoutes(deps));
  app.all('/api/*', (c) => errorResponse('not_found', `No API route ${c.req.method} ${c.req.path}.`));
  app.route('/', webRoutes(deps));

  app.onError((err, c) => {
    const e = err instanceof HttpError ? err : fromFsError(err);
    if (e) {
      if (e.code === 'disk_full') log.warn('disk full: write refused', { method: c.req.method, path: c.req.path, user: c.var.caller?.actor.username });
      return errorResponse(e.code, e.message, e.headers);
    }
    log.error('unhandled error', { method: c.req.method, path: c.req.path, err: err instanceof Error ? err.stack : String(err) });
    return errorResponse('internal_error', INTERNAL_MESSAGE);
  });
  app.notFound(() => errorResponse('not_found', 'Not found.'));
  return app;
}
