// Captive portal, daemon side: OS connectivity probes, foreign Host names, RFC 8908 /api/captive, /api/portal/accept.
import { Hono, type Context } from 'hono';
import type { PortalAcceptResponse, PortalInfo } from '../api-types.js';
import { clientIp, type AppEnv } from '../http.js';
import { hostName, probeFor } from '../services/portal.js';
import type { Deps } from '../deps.js';

const NO_STORE = { 'Cache-Control': 'no-store' };

export function portalRoutes(deps: Deps) {
  const app = new Hono<AppEnv>();
  const { portal } = deps;

  const redirect = (c: Context<AppEnv>, to: string) => {
    const href = to.replace(/&/g, '&amp;').replace(/"/g, '&quot;');
    // A body too, for the odd client that shows a 302 instead of following it.
    return c.html(`<!doctype html><meta charset="utf-8"><title>Home Container Drive</title><a href="${href}">${href}</a>`, 302, { Location: to, ...NO_STORE });
  };

  app.use('*', async (c, next) => {
    const host = hostName(c.req.header('host'));
    const ip = clientIp(c);
    const isRead = c.req.method === 'GET' || c.req.method === 'HEAD';
    const probe = isRead ? probeFor(host, c.req.path) : null;
    if (probe) {
      // Until this client has seen the landing page its OS must believe it is behind a portal, and after
      // that exactly the opposite: a phone that keeps seeing a portal drops the network or routes around it.
      if (!portal.isAccepted(ip)) return redirect(c, `${portal.origin()}/portal`);
      const headers = { ...NO_STORE, ...(probe.contentType ? { 'Content-Type': `${probe.contentType}; charset=utf-8` } : {}), ...probe.headers };
      return probe.status === 204 ? c.body(null, 204, headers) : c.body(probe.body, 200, headers);
    }
    if (portal.redirectsForeignHosts && !portal.isOwnHost(host)) {
      // DNS on the device's network answers every name with the device: whatever was asked for, show the
      // drive. A guest link (/s/<secret>) keeps its path: a visitor opens it without logging in.
      const link = isRead && /^\/s\/[0-9A-Za-z-]{26,40}$/.test(c.req.path) ? c.req.path : null;
      return redirect(c, `${portal.origin()}${link ?? (portal.isAccepted(ip) ? '/' : '/portal')}`);
    }
    await next();
  });

  const state = (c: Context<AppEnv>) => {
    const left = portal.remaining(clientIp(c));
    return { left, captive: left === 0, url: `${portal.origin()}/`, portalUrl: `${portal.origin()}/portal` };
  };

  // RFC 8908 §5: the captive-portal API, announced by DHCP option 114 (RFC 8910).
  app.get('/api/captive', (c) => {
    const s = state(c);
    const body: Record<string, unknown> = { captive: s.captive, 'user-portal-url': s.portalUrl };
    if (!s.captive) body['seconds-remaining'] = Math.floor(s.left / 1000);
    return c.body(JSON.stringify(body), 200, { 'Content-Type': 'application/captive+json', ...NO_STORE });
  });

  /** What the landing page shows: the address to open in a real browser. */
  app.get('/api/portal', (c) => {
    const s = state(c);
    return c.json({ captive: s.captive, url: s.url, hostname: portal.settings.hostname } satisfies PortalInfo, 200, NO_STORE);
  });

  // No login: this is the first thing a phone does on the network. Cross-site POSTs are refused by
  // refuseCrossSite like every other /api/ write; the landing page posts from the same origin.
  app.post('/api/portal/accept', (c) => {
    const ip = clientIp(c);
    const until = portal.accept(ip);
    deps.log.info('portal accepted', { ip });
    return c.json(
      { captive: false, url: `${portal.origin()}/`, secondsRemaining: Math.floor((until - deps.clock.now()) / 1000) } satisfies PortalAcceptResponse,
      200,
      NO_STORE,
    );
  });

  return app;
}
