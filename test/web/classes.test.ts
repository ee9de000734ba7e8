// "Add a class" in Chromium, in French: 30 names pasted on a phone with accents, a duplicate and a bad line
// (nothing created until it is fixed), the review, then the cards: 30 on screen, 17 on 3 A4 sheets in print, and a
// Wi-Fi QR code for a passphrase with ; and ".
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { renderSVG } from 'uqr';
import type { Browser } from 'playwright-core';
import { api, dispose } from '../helpers/server.js';
import { LAPTOP, launch, newPage, PHONE, seededDaemon, shoot, uiLogin, type Seeded } from './browser.js';

let s: Seeded;
let browser: Browser;
const conf = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'hcd-ap-')), 'hostapd.conf');

before(async () => {
  fs.writeFileSync(conf, 'interface=wlan0\nssid=Classe "B"; salle 2\nwpa=2\nwpa_passphrase=pa;ss"word,1\n');
  s = await seededDaemon({ HCD_HOSTAPD_CONF: conf });
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await dispose(s?.daemon);
});

const NAMES = [
  'Élodie Martin',
  'Noé Dupont',
  'Zoé Lefèvre',
  'Maël Rousseau',
  'Léa Moreau',
  'Inès Garçon',
  'Chloé Bérénice',
  'Jules Faure',
  'Anaïs Roux',
  'Gaëtan Petit',
  'Hélène Durand',
  'Loïc Bernard',
  'Océane Fournier',
  'Raphaël Girard',
  'Sébastien Blanc',
  'Thaïs Leroy',
  'Timothée Mercier',
  'Yaël Bonnet',
  'Agathe Lambert',
  'Côme François',
  'Éloïse Fontaine',
  'Lény Chevalier',
  'Manon Robin',
  'Nathan Gauthier',
  'Pénélope Perrin',
  'Clément Morel',
  'Zoë Vincent',
  'Ambre Masson',
  'Élodie Martin',
];

test('a teacher pastes 30 names on a phone, fixes the bad line, reviews, creates, and gets 30 cards with their QR codes', async () => {
  const { context, page } = await newPage(browser, PHONE, { locale: 'fr-FR' });
  try {
    await uiLogin(page, s.daemon.base, 'admin', s.users.admin.password);
    await page.goto(`${s.daemon.base}/admin/users`);
    const bad = 'X'.repeat(300);
    const lines = [...NAMES.slice(0, 10), bad, ...NAMES.slice(10)];
    await page.getByLabel('Noms').fill(lines.join('\n'));
    await page.getByLabel('Groupe (classe)').fill('CM2 B');
    await page.getByRole('button', { name: 'Vérifier la liste' }).click();
    await page.getByText('Corrigez la ligne en rouge, puis vérifiez à nouveau').waitFor();
    assert.equal(await page.locator('table.review tr.bad').count(), 1);
    assert.equal(await page.locator('table.review tr.bad td').first().innerText(), '11', 'the error is on line 11');
    assert.equal(await page.locator('#ci-create').isDisabled(), true);
    await shoot(page, 'class-bad-line-fr');
    const before = await api(s.daemon.base, s.adminToken, 'GET', '/api/admin/users');
    assert.equal(before.json.users.length, 3, 'nothing created while a line is wrong');

    await page.getByLabel('Noms').fill([...NAMES, 'Margaux Henry'].join('\n'));
    await page.getByRole('button', { name: 'Vérifier la liste' }).click();
    await page.getByText('Prêt : 30 comptes seront créés.').waitFor();
    const usernames = await page.locator('table.review td code').allInnerTexts();
    assert.equal(usernames.length, 30);
    assert.ok(usernames.includes('elodie-martin') && usernames.includes('elodie-martin-2'), usernames.join(' '));
    assert.ok(usernames.includes('noe-dupont') && usernames.includes('helene-durand'));
    await page.getByRole('button', { name: 'Créer 30 comptes et leurs cartes' }).click();
    await page.getByRole('heading', { name: '30 cartes de connexion' }).waitFor();
    assert.equal(await page.locator('.login-card').count(), 30);
    await shoot(page, 'class-cards-fr');

    // The Wi-Fi QR code: the standard string with \ ; , : " escaped, drawn by uqr.
    const expected = 'WIFI:T:WPA;S:Classe \\"B\\"\\; salle 2;P:pa\\;ss\\"word\\,1;;';
    const wifiQr = page.locator('.login-card').first().locator('.card-qr').first();
    assert.equal(await wifiQr.getAttribute('data-qr'), expected);
    const drawn = await wifiQr.locator('svg path').getAttribute('d');
    const want = /<path[^>]* d="([^"]+)"/.exec(renderSVG(expected, { border: 1, pixelSize: 4 }))?.[1];
    assert.ok(want && drawn === want, 'the drawn QR code is the encoding of that string');
    const loginQr = page.locator('.login-card[data-username="elodie-martin"] .card-qr').nth(1);
    assert.match((await loginQr.getAttribute('data-qr')) ?? '', /^http:\/\/[^/]+\/#card=[A-Za-z0-9_-]{22}$/);

    const after = await api(s.daemon.base, s.adminToken, 'GET', '/api/admin/users?deleted=0');
    assert.equal(after.json.users.length, 33);
  } finally {
    await context.close();
  }
});

test('the cards print on A4, 8 a sheet', async () => {
  const { context, page } = await newPage(browser, LAPTOP, { locale: 'fr-FR' });
  try {
    await uiLogin(page, s.daemon.base, 'admin', s.users.admin.password);
    await page.goto(`${s.daemon.base}/admin/users`);
    await page.getByLabel('Noms').fill(Array.from({ length: 17 }, (_, i) => `Élève ${i + 1} Test`).join('\n'));
    await page.getByRole('button', { name: 'Vérifier la liste' }).click();
    await page.getByRole('button', { name: 'Créer 17 comptes et leurs cartes' }).click();
    await page.getByRole('heading', { name: '17 cartes de connexion' }).waitFor();
    await page.emulateMedia({ media: 'print' });
    await shoot(page, 'class-cards-print');
    const pdf = await page.pdf({ format: 'A4', printBackground: true });
    const pages = (pdf.toString('latin1').match(/\/Type\s*\/Page[^s]/g) ?? []).length;
    assert.equal(pages, 3, '17 cards at 8 a sheet');
    fs.writeFileSync(path.join(path.dirname(await shoot(page, 'class-cards-print')), 'class-cards.pdf'), pdf);
  } finally {
    await context.close();
  }
});
