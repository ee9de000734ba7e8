// App passwords in Chromium: on a phone in French, an advanced user makes one for a laptop, sees it once
// with the WebDAV address for each kind of file manager, and it opens /dav/ over HTTP Basic; on a laptop
// the same user revokes it and the same request is refused at once.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import { dispose } from '../helpers/server.js';
import { LAPTOP, launch, newPage, PHONE, seededDaemon, shoot, uiLogin, type Seeded } from './browser.js';

let s: Seeded;
let browser: Browser;
let base: string;

before(async () => {
  s = await seededDaemon();
  base = s.daemon.base;
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await dispose(s?.daemon);
});

const DEVICE = 'Portable de la classe';

/** A file manager's first request: the workspace and its members (PROPFIND, Depth 1), with Basic credentials. */
const propfind = (url: string, username: string, password: string) =>
  fetch(url, {
    method: 'PROPFIND',
    headers: { authorization: `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`, depth: '1' },
  });

let secret = '';
let davUrl = '';

test('on a phone in French: an app password for a laptop, shown once with the address for each file manager; it opens /dav/', async () => {
  const { context, page } = await newPage(browser, PHONE, { locale: 'fr-FR' });
  try {
    await uiLogin(page, base, 'adam', s.users.adam.password);
    await page.goto(`${base}/account`);
    const section = page.getByRole('form', { name: "Mots de passe d'application" });
    const addresses = section.getByLabel('Adresses pour les gestionnaires de fichiers');
    const { hostname, port } = new URL(base);
    const shown = async (client: string) => (await addresses.locator('dt', { hasText: client }).locator('xpath=following-sibling::dd[1]').innerText()).trim();
    assert.equal(await shown('Windows'), `\\\\${hostname}@${port}\\dav\\workspace`);
    assert.equal(await shown('macOS'), `${base}/dav/workspace/`);
    assert.equal(await shown('Linux'), `dav://${hostname}:${port}/dav/workspace/`);
    assert.equal(await shown('Android'), `${base}/dav/workspace/`);
    davUrl = await shown('macOS');

    await section.getByLabel('Appareil').fill(DEVICE);
    await section.getByRole('button', { name: 'Créer' }).click();
    const msg = section.getByRole('status');
    await msg.getByText(`Saisissez maintenant ce mot de passe dans ${DEVICE} : il ne sera plus affiché.`).waitFor();
    secret = (await msg.locator('code').innerText()).trim();
    assert.match(secret, /^hcd(-[a-z2-7]{5}){4}$/);
    await msg.getByText("Nom d'utilisateur : adam.").waitFor();
    const item = section.locator('#app-pw-list li', { hasText: DEVICE });
    await item.getByText('jamais utilisé').waitFor();
    // Nothing on the phone's screen is wider than the screen: the long password and addresses wrap.
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.equal(overflow, 0, 'the account page scrolls sideways on a phone');
    await section.scrollIntoViewIfNeeded();
    await msg.scrollIntoViewIfNeeded();
    await shoot(page, 'app-password-made');

    // The laptop's file manager, with the address shown and the password shown.
    const res = await propfind(davUrl, 'adam', secret);
    assert.equal(res.status, 207);
    const body = await res.text();
    assert.match(body, /<D:href>\/dav\/workspace\/adam-notes\.txt<\/D:href>/);
    // The user's own password is not needed for that, and the page shows the secret only once.
    await page.reload();
    await section
      .locator('#app-pw-list li', { hasText: DEVICE })
      .getByText(/ · utilisé le /)
      .waitFor();
    assert.equal(await page.getByText(secret).count(), 0, 'the secret is shown again after a reload');
    await addresses.scrollIntoViewIfNeeded();
    await shoot(page, 'app-password-addresses');
  } finally {
    await context.close();
  }
});

test('on a laptop: revoking the app password in the account page ends it at once over WebDAV', async () => {
  assert.ok(secret, 'the first test made an app password');
  assert.equal((await propfind(davUrl, 'adam', secret)).status, 207);
  const { context, page } = await newPage(browser, LAPTOP);
  try {
    await uiLogin(page, base, 'adam', s.users.adam.password);
    await page.goto(`${base}/account`);
    const section = page.getByRole('form', { name: 'App passwords' });
    const item = section.locator('#app-pw-list li', { hasText: DEVICE });
    await item.getByText(/ · last used /).waitFor();
    await item.scrollIntoViewIfNeeded();
    await shoot(page, 'app-password-list');
    await item.getByRole('button', { name: 'Revoke' }).click();
    await item.waitFor({ state: 'detached' });
    assert.equal(await section.locator('#app-pw-list li').count(), 0);
  } finally {
    await context.close();
  }
  const refused = await propfind(davUrl, 'adam', secret);
  assert.equal(refused.status, 401);
  assert.equal(refused.headers.get('www-authenticate'), 'Basic realm="Home Drive", charset="UTF-8"');
  // Adam's own password still works: only the device lost its access.
  assert.equal((await propfind(davUrl, 'adam', s.users.adam.password)).status, 207);
});
