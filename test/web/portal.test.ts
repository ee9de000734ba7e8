// Real-browser test of the captive portal: a fresh client's probe lands on the landing page, Continue, then "online".
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import { dispose, request, startDaemon, type Daemon } from '../helpers/server.js';
import { LAPTOP, launch, newPage, PHONE, shoot } from './browser.js';

// A reserved name (RFC 2606 .test): Chromium maps every name to the local daemon, nothing leaves the machine.
const OWN = 'drive.test';
let daemon: Daemon;
let browser: Browser;

before(async () => {
  daemon = await startDaemon({ env: { HCD_PORTAL_ADDRESS: OWN } });
  browser = await launch([`--host-resolver-rules=MAP * 127.0.0.1:${daemon.port}`]);
});
after(async () => {
  await browser?.close();
  await dispose(daemon);
});

test('a fresh client probing connectivity is sent to the landing page, continues, and its probes then answer online', async () => {
  const origin = `http://${OWN}:${daemon.port}`;
  // Before: every OS probe is redirected to the landing page (raw requests to 127.0.0.1 with a probe Host).
  const probe = (host: string, path: string) => request(daemon.port, 'GET', path, { headers: { host } });
  let r = await probe('connectivitycheck.gstatic.com', '/generate_204');
  assert.equal(r.status, 302);
  assert.equal(r.headers.location, `${origin}/portal`);
  r = await probe('captive.apple.com', '/hotspot-detect.html');
  assert.equal(r.status, 302);

  // Laptop first: every client here is 127.0.0.1, and the phone's Continue accepts that address.
  for (const vp of [LAPTOP, PHONE]) {
    const { context, page } = await newPage(browser, vp);
    try {
      // What Android does on joining: fetch the probe; the 302 opens the sign-in sheet at the landing page.
      await page.goto('http://connectivitycheck.gstatic.com/generate_204');
      assert.equal(page.url(), `${origin}/portal`);
      await page.getByRole('heading', { name: 'Welcome to the Home Drive' }).waitFor();
      assert.equal(await page.getByLabel('Address of the drive').inputValue(), origin);
      await page.locator('.qr svg').waitFor();
      await shoot(page, 'portal');
      await page.getByRole('button', { name: 'Copy' }).click();
      await page.locator('#copy-msg:not(:empty)').waitFor();
      if (vp === LAPTOP) {
        await page.getByLabel('Language').selectOption('fr');
        await page.getByRole('heading', { name: 'Bienvenue sur le Home Drive' }).waitFor();
        await shoot(page, 'portal-fr');
        await page.getByLabel('Langue').selectOption('en');
      }
      if (vp === PHONE) {
        await page.getByRole('button', { name: 'Continue' }).click();
        await page.getByText('Done. You can close this window').waitFor();
        await shoot(page, 'portal-done');
      }
    } finally {
      await context.close();
    }
  }

  // After: each probe answers exactly as its OS expects when online, through the browser too.
  const { context, page } = await newPage(browser, PHONE);
  try {
    // A 204 navigation never commits (Chromium reports it aborted): read the response itself.
    const url = 'http://connectivitycheck.gstatic.com/generate_204';
    const [res] = await Promise.all([page.waitForResponse(url), page.goto(url).catch(() => null)]);
    assert.equal(res.status(), 204);
    const apple = await page.goto('http://captive.apple.com/hotspot-detect.html');
    assert.equal(await apple?.text(), '<HTML><HEAD><TITLE>Success</TITLE></HEAD><BODY>Success</BODY></HTML>');
    const captive = await page.goto(`${origin}/api/captive`);
    assert.equal(captive?.headers()['content-type'], 'application/captive+json');
    assert.equal(JSON.parse((await captive?.text()) ?? '{}').captive, false);
    // Any other name now leads to the drive itself.
    await page.goto('http://example.com/whatever');
    assert.equal(page.url(), `${origin}/`);
  } finally {
    await context.close();
  }
  r = await probe('www.msftconnecttest.com', '/connecttest.txt');
  assert.equal(r.status, 200);
  assert.equal(r.text(), 'Microsoft Connect Test');
  r = await probe('detectportal.firefox.com', '/success.txt');
  assert.equal(r.text(), 'success\n');
  r = await probe('nmcheck.gnome.org', '/check_network_status.txt');
  assert.equal(r.text(), 'NetworkManager is online\n');
});
