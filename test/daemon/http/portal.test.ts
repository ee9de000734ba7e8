// In-process tests of the captive portal: probes before and after accepting, foreign hosts, RFC 8908 API.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeApp, ManualClock, type TestApp } from '../../helpers/app.js';

const AP = '10.42.0.1';

/** A request as a given Wi-Fi client (its socket address) asking for a given Host. */
function as(t: TestApp, ip: string) {
  return (method: string, url: string, host: string, headers: Record<string, string> = {}) =>
    t.app.request(url, { method, headers: { host, ...headers } }, { incoming: { socket: { remoteAddress: ip } } } as never);
}

async function setup(env: Record<string, string> = {}, clock?: ManualClock) {
  return makeApp({ env: { HCD_PORTAL_ADDRESS: AP, HCD_PORT: '80', ...env }, clock });
}

const ONLINE: [string, string, number, string | null][] = [
  ['connectivitycheck.gstatic.com', '/generate_204', 204, ''],
  ['clients3.google.com', '/generate_204', 204, ''],
  ['www.google.com', '/gen_204', 204, ''],
  ['captive.apple.com', '/hotspot-detect.html', 200, '<HTML><HEAD><TITLE>Success</TITLE></HEAD><BODY>Success</BODY></HTML>'],
  ['www.apple.com', '/library/test/success.html', 200, '<HTML><HEAD><TITLE>Success</TITLE></HEAD><BODY>Success</BODY></HTML>'],
  ['www.msftconnecttest.com', '/connecttest.txt', 200, 'Microsoft Connect Test'],
  ['www.msftncsi.com', '/ncsi.txt', 200, 'Microsoft NCSI'],
  ['detectportal.firefox.com', '/success.txt', 200, 'success\n'],
  ['detectportal.firefox.com', '/canonical.html', 200, '<meta http-equiv="refresh" content="0;url=https://support.mozilla.org/kb/captive-portal"/>'],
  ['nmcheck.gnome.org', '/check_network_status.txt', 200, 'NetworkManager is online\n'],
  ['connectivity-check.ubuntu.com', '/', 204, ''],
];

test('every OS probe redirects to the landing page before accepting, and answers "online" after', async () => {
  const t = await setup();
  try {
    const phone = as(t, '10.42.0.23');
    for (const [host, path] of ONLINE) {
      const r = await phone('GET', path, host);
      assert.equal(r.status, 302, `${host}${path}`);
      assert.equal(r.headers.get('location'), `http://${AP}/portal`, `${host}${path}`);
      assert.equal(r.headers.get('cache-control'), 'no-store');
    }
    const acc = await phone('POST', '/api/portal/accept', AP, { origin: `http://${AP}`, 'sec-fetch-site': 'same-origin' });
    assert.equal(acc.status, 200);
    assert.equal((await acc.json()).captive, false);
    for (const [host, path, status, body] of ONLINE) {
      const r = await phone('GET', path, host);
      assert.equal(r.status, status, `${host}${path}`);
      assert.equal(await r.text(), body, `${host}${path}`);
    }
    const ubuntu = await phone('GET', '/', 'connectivity-check.ubuntu.com');
    assert.equal(ubuntu.headers.get('x-networkmanager-status'), 'online');
    const gnome = await phone('GET', '/check_network_status.txt', 'nmcheck.gnome.org');
    assert.equal(gnome.headers.get('x-networkmanager-status'), 'online');
    assert.match(gnome.headers.get('content-type') ?? '', /^text\/plain/);
    // The probe Host may carry a port and a trailing dot (NetworkManager's Ubuntu URI has one).
    assert.equal((await phone('GET', '/', 'connectivity-check.ubuntu.com.:80')).status, 204);
  } finally {
    t.close();
  }
});

test('acceptance is per client and expires with the lease', async () => {
  const clock = new ManualClock();
  const t = await setup({}, clock);
  try {
    const a = as(t, '10.42.0.23');
    const b = as(t, '10.42.0.24');
    assert.equal((await a('POST', '/api/portal/accept', AP, { origin: `http://${AP}` })).status, 200);
    assert.equal((await a('GET', '/generate_204', 'connectivitycheck.gstatic.com')).status, 204);
    assert.equal((await b('GET', '/generate_204', 'connectivitycheck.gstatic.com')).status, 302);
    clock.advance(23 * 3600 * 1000);
    assert.equal((await a('GET', '/generate_204', 'connectivitycheck.gstatic.com')).status, 204);
    clock.advance(2 * 3600 * 1000);
    assert.equal((await a('GET', '/generate_204', 'connectivitycheck.gstatic.com')).status, 302);
  } finally {
    t.close();
  }
});

test('foreign Host names go to the landing page, then to the drive; own names are served', async () => {
  const t = await setup({ HCD_HOSTNAME: 'fielddrive' });
  try {
    const phone = as(t, '10.42.0.30');
    let r = await phone('GET', '/some/page?q=1', 'example.com');
    assert.equal(r.status, 302);
    assert.equal(r.headers.get('location'), `http://${AP}/portal`);
    for (const own of [AP, `${AP}:80`, 'fielddrive', 'fielddrive.local', 'FieldDrive.local:80', 'localhost', '127.0.0.1:8080', '[::1]:80']) {
      r = await phone('GET', '/api/health', own);
      assert.equal(r.status, 200, own);
    }
    await phone('POST', '/api/portal/accept', AP, { origin: `http://${AP}` });
    r = await phone('GET', '/', 'www.msftconnecttest.com');
    assert.equal(r.status, 302);
    assert.equal(r.headers.get('location'), `http://${AP}/`);
  } finally {
    t.close();
  }
});

test('RFC 8908 captive-portal API: captive true, then false with seconds remaining', async () => {
  const t = await setup();
  try {
    const phone = as(t, '10.42.0.40');
    let r = await phone('GET', '/api/captive', AP);
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('content-type'), 'application/captive+json');
    assert.deepEqual(await r.json(), { captive: true, 'user-portal-url': `http://${AP}/portal` });
    await phone('POST', '/api/portal/accept', AP, { origin: `http://${AP}` });
    r = await phone('GET', '/api/captive', AP);
    const body = await r.json();
    assert.equal(body.captive, false);
    assert.equal(body['user-portal-url'], `http://${AP}/portal`);
    assert.ok(body['seconds-remaining'] > 23 * 3600 && body['seconds-remaining'] <= 24 * 3600);
    const info = await (await phone('GET', '/api/portal', AP)).json();
    assert.deepEqual(info, { captive: false, url: `http://${AP}/`, hostname: 'homedrive' });
  } finally {
    t.close();
  }
});

test('accept needs no login but refuses cross-site posts', async () => {
  const t = await setup();
  try {
    const phone = as(t, '10.42.0.50');
    const r = await phone('POST', '/api/portal/accept', AP, { origin: 'http://evil.example', 'sec-fetch-site': 'cross-site' });
    assert.equal(r.status, 403);
    assert.equal((await phone('GET', '/generate_204', 'connectivitycheck.gstatic.com')).status, 302);
  } finally {
    t.close();
  }
});

test('without HCD_PORTAL_ADDRESS (development) foreign hosts pass, probes still point at the listening address', async () => {
  const t = await makeApp({ env: { HCD_HOST: '127.0.0.1', HCD_PORT: '8080' } });
  try {
    const phone = as(t, '127.0.0.1');
    assert.equal((await phone('GET', '/api/health', 'laptop.lan:8080')).status, 200);
    const r = await phone('GET', '/generate_204', 'connectivitycheck.gstatic.com');
    assert.equal(r.status, 302);
    assert.equal(r.headers.get('location'), 'http://127.0.0.1:8080/portal');
    // The UI's own pages and the API are untouched.
    assert.equal((await t.req('GET', '/api/nothing-here')).status, 404);
  } finally {
    t.close();
  }
});
