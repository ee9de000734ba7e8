// A Wi-Fi drop in the middle of an upload, in the real browser: the connection is cut under the
// page, and the upload continues from the byte the drive has (tus), ending with identical bytes.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import type { Browser } from 'playwright-core';
import { dispose } from '../helpers/server.js';
import { cuttingProxy } from '../helpers/proxy.js';
import { fileOnDisk, LAPTOP, launch, newPage, PHONE, seededDaemon, uiLogin, type Seeded, shoot } from './browser.js';

let s: Seeded;
let browser: Browser;
before(async () => {
  s = await seededDaemon();
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await dispose(s?.daemon);
});

const sha = (b: Buffer) => crypto.createHash('sha256').update(b).digest('hex');

test('an upload cut by a network drop resumes where it stopped and the bytes are identical', async () => {
  // The browser talks to the drive through a proxy that cuts the connection once, 3 MB into the upload.
  const proxy = await cuttingProxy(s.daemon.port, 3 * 1024 * 1024);
  const base = `http://127.0.0.1:${proxy.port}`;
  const { context, page } = await newPage(browser, PHONE);
  try {
    await uiLogin(page, base, 'ulla', s.users.ulla.password);
    await page.getByRole('link', { name: 'welcome.txt', exact: true }).waitFor();
    const tus: { method: string; offset: number }[] = [];
    page.on('request', (r) => {
      if (new URL(r.url()).pathname.startsWith('/api/tus')) tus.push({ method: r.method(), offset: Number(r.headers()['upload-offset'] ?? -1) });
    });
    const body = crypto.randomBytes(8 * 1024 * 1024);
    await page.locator('#pick-files').setInputFiles(await fileOnDisk('interview.bin', body));
    const row = page.locator('.upload', { hasText: 'interview.bin' });
    await row.waitFor();
    await row.locator('.up-line', { hasText: 'Done' }).waitFor({ timeout: 60_000 });
    assert.ok(proxy.cut, 'the connection was cut');

    const patches = tus.filter((r) => r.method === 'PATCH');
    assert.ok(patches.length >= 2, `the upload was cut and continued: ${JSON.stringify(tus)}`);
    const resumedAt = Math.max(...patches.map((p) => p.offset));
    assert.ok(resumedAt > 0, `a PATCH continued from byte ${resumedAt}, not from zero: ${JSON.stringify(tus)}`);
    assert.ok(
      tus.some((r) => r.method === 'HEAD'),
      'the client asked the drive where to resume',
    );

    const res = await fetch(`${s.daemon.base}/api/fs/workspace/interview.bin`, { headers: { authorization: `Bearer ${s.adminToken}` } });
    const got = Buffer.from(await res.arrayBuffer());
    assert.equal(got.length, body.length);
    assert.equal(sha(got), sha(body));
  } finally {
    await context.close();
    await proxy.close();
  }
});

test('a large file goes in 8 MiB PATCHes, so no request lasts long enough to meet a timeout', async () => {
  const { context, page } = await newPage(browser, PHONE);
  try {
    await uiLogin(page, s.daemon.base, 'ulla', s.users.ulla.password);
    await page.getByRole('link', { name: 'welcome.txt', exact: true }).waitFor();
    const patches: { offset: number; length: number }[] = [];
    page.on('request', (r) => {
      if (r.method() === 'PATCH' && new URL(r.url()).pathname.startsWith('/api/tus')) {
        patches.push({ offset: Number(r.headers()['upload-offset']), length: r.postDataBuffer()?.length ?? Number(r.headers()['content-length'] ?? -1) });
      }
    });
    const body = crypto.randomBytes(20 * 1024 * 1024);
    await page.locator('#pick-files').setInputFiles(await fileOnDisk('long-video.bin', body));
    await page.locator('.upload', { hasText: 'long-video.bin' }).locator('.up-line', { hasText: 'Done' }).waitFor({ timeout: 60_000 });
    assert.deepEqual(
      patches.map((p) => p.offset),
      [0, 8 * 1024 * 1024, 16 * 1024 * 1024],
      JSON.stringify(patches),
    );
    const res = await fetch(`${s.daemon.base}/api/fs/workspace/long-video.bin`, { headers: { authorization: `Bearer ${s.adminToken}` } });
    assert.equal(sha(Buffer.from(await res.arrayBuffer())), sha(body));
  } finally {
    await context.close();
  }
});

test('a Wi-Fi drop while listing: the last list stays, "Connexion perdue" shows, and it recovers by itself (phone and laptop)', async () => {
  for (const vp of [PHONE, LAPTOP]) {
    const { context, page } = await newPage(browser, vp, { locale: 'fr-FR' });
    try {
      await uiLogin(page, s.daemon.base, 'ulla', s.users.ulla.password);
      await page.getByRole('link', { name: 'welcome.txt', exact: true }).waitFor();
      const cdp = await context.newCDPSession(page);
      await cdp.send('Network.enable');
      await cdp.send('Network.emulateNetworkConditions', { offline: true, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
      // The page asks for the list again (as when the phone comes back to it) while the Wi-Fi is gone.
      await page.evaluate(() => window.dispatchEvent(new Event('online')));
      const banner = page.locator('.lost');
      await banner.getByText('Connexion perdue — nouvelle tentative…').waitFor();
      assert.ok(await page.getByRole('link', { name: 'welcome.txt', exact: true }).isVisible(), 'the last good list is still there');
      await shoot(page, 'connection-lost-fr');
      await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
      // No tap needed: the automatic retry brings it back.
      await banner.waitFor({ state: 'hidden', timeout: 20_000 });
      assert.ok(await page.getByRole('link', { name: 'welcome.txt', exact: true }).isVisible());
      await shoot(page, 'connection-recovered-fr');
    } finally {
      await context.close();
    }
  }
});
