// Guest links in Chromium, in French on a phone: an advanced user shares a folder, the QR code holds the
// link, a visitor without an account downloads from it, a drop box takes a file without showing the
// folder, and a revoked link gets its clear page.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { encode } from 'uqr';
import type { Browser, Page } from 'playwright-core';
import { api, dispose, login } from '../helpers/server.js';
import { launch, newPage, PHONE, seededDaemon, shoot, uiLogin, type Seeded } from './browser.js';

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

/** The QR code's modules as drawn on the page (uqr's SVG: one 10×10 square per dark module, inside a 2-module border). */
async function qrMatrix(page: Page): Promise<boolean[][]> {
  const { d, box } = await page.locator('.share-qr svg').evaluate((svg) => ({
    d: svg.querySelector('path')!.getAttribute('d')!,
    box: Number(svg.getAttribute('viewBox')!.split(' ')[2]),
  }));
  const size = box / 10 - 4;
  const m = Array.from({ length: size }, () => Array<boolean>(size).fill(false));
  for (const [, x, y] of d.matchAll(/M(\d+),(\d+)h10v10h-10z/g)) m[Number(y) / 10 - 2]![Number(x) / 10 - 2] = true;
  return m;
}

test('an advanced user shares a folder in French on a phone; the QR code holds the link; a visitor downloads without an account', async () => {
  const { context, page } = await newPage(browser, PHONE, { locale: 'fr-FR' });
  let url: string;
  try {
    await uiLogin(page, base, 'adam', s.users.adam.password);
    await page.getByRole('button', { name: 'Actions pour Reports' }).click();
    await page.getByRole('button', { name: 'Partager' }).click();
    const dialog = page.getByRole('dialog', { name: 'Partager « Reports »' });
    await dialog.getByLabel('Voir et télécharger').check();
    await dialog.getByLabel('7 jours').check();
    await shoot(page, 'share-dialog');
    await dialog.getByRole('button', { name: 'Créer le lien' }).click();
    await dialog.locator('.share-qr svg').waitFor();
    url = await dialog.getByLabel('Adresse du lien').inputValue();
    assert.match(url, new RegExp(`^${base}/s/[0-9A-Z]{5}-[0-9A-Z]{5}-[0-9A-Z]{5}-[0-9A-Z]{5}-[0-9A-Z]{6}$`));
    // The code on screen is exactly the QR encoding of that address (uqr's own, computed here).
    const drawn = await qrMatrix(page);
    const expected = encode(url, { border: 0 }).data;
    assert.equal(drawn.length, expected.length);
    assert.deepEqual(drawn, expected);
    await shoot(page, 'share-qr');
  } finally {
    await context.close();
  }

  // A fresh browser, never logged in.
  const guest = await newPage(browser, PHONE, { locale: 'fr-FR' });
  try {
    await guest.page.goto(url);
    await guest.page.getByRole('heading', { name: 'Reports' }).waitFor();
    await guest.page.getByText('summary.csv').waitFor();
    await shoot(guest.page, 'guest-read');
    const [download] = await Promise.all([guest.page.waitForEvent('download'), guest.page.getByRole('link', { name: 'Télécharger summary.csv' }).click()]);
    assert.equal(fs.readFileSync((await download.path())!, 'utf8'), 'site,count\nnorth,12\nsouth,7\n');
  } finally {
    await guest.context.close();
  }
});

test('a drop box: the guest sends a file and never sees the folder; a revoked link gets its clear page', async () => {
  const adam = await login(base, 'adam', s.users.adam.password);
  const made = await api(base, adam, 'POST', '/api/links', { space: 'workspace', path: '/Photos', mode: 'upload', expires: '1h' });
  assert.equal(made.status, 201);
  const guest = await newPage(browser, PHONE, { locale: 'fr-FR' });
  try {
    await guest.page.goto(made.json.url);
    await guest.page.getByRole('heading', { name: 'Envoyer des fichiers dans « Photos »' }).waitFor();
    await guest.page.getByLabel('Votre nom').fill('Zoé');
    await guest.page.locator('#guest-files').setInputFiles({ name: 'devoir.txt', mimeType: 'text/plain', buffer: Buffer.from('mon devoir\n') });
    await guest.page.getByText('Envoyé : devoir.txt').waitFor();
    assert.equal(await guest.page.getByText('dot.png').count(), 0, 'the folder is never listed');
    await shoot(guest.page, 'guest-upload');
    const listing = await api(base, adam, 'GET', '/api/fs/workspace/Photos/');
    const sent = listing.json.entries.find((e: { name: string }) => e.name === 'devoir.txt');
    assert.deepEqual([sent.owner, sent.guest], ['adam', 'Zoé']);
    const r = await fetch(`${base}/api/s/${made.json.secret}/fs/`);
    assert.equal(r.status, 403);
  } finally {
    await guest.context.close();
  }

  // Adam revokes it from his account page.
  const { context, page } = await newPage(browser, PHONE, { locale: 'fr-FR' });
  try {
    await uiLogin(page, base, 'adam', s.users.adam.password);
    await page.goto(`${base}/account`);
    const item = page.locator('.link-item', { hasText: '/Photos' });
    await item.getByRole('button', { name: 'Révoquer' }).click();
    await page.getByRole('dialog', { name: 'Révoquer ce lien ?' }).getByRole('button', { name: 'Révoquer' }).click();
    await item.getByText('Révoqué').waitFor();
    await shoot(page, 'links-list');
  } finally {
    await context.close();
  }
  const again = await newPage(browser, PHONE, { locale: 'fr-FR' });
  try {
    await again.page.goto(made.json.url);
    await again.page.getByRole('heading', { name: 'Lien indisponible' }).waitFor();
    await again.page.getByText('Ce lien a été retiré par la personne qui l’a partagé.').waitFor();
    await shoot(again.page, 'guest-revoked');
  } finally {
    await again.context.close();
  }
});
