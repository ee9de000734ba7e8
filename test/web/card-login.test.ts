// A login card's QR code in Chromium, in French on a phone: the link logs the pupil in and leaves no secret in the
// address bar; after "new cards" the old link says clearly that the card no longer works.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import { api, dispose } from '../helpers/server.js';
import { launch, newPage, PHONE, seededDaemon, shoot, type Seeded } from './browser.js';

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

test("a card's link logs the pupil in on a phone; after new cards the old one is refused in words", async () => {
  const base = s.daemon.base;
  const p = await api(base, s.adminToken, 'POST', '/api/admin/users/import/preview', { text: 'Élodie Martin\nNoé Dupont\n', group: 'CM2' });
  assert.equal(p.status, 200, JSON.stringify(p.json));
  const made = await api(base, s.adminToken, 'POST', '/api/admin/users/import', { accounts: p.json.lines });
  assert.equal(made.status, 201, JSON.stringify(made.json));
  const elodie = (made.json.accounts as { username: string; cardSecret: string; cardUrl: string }[]).find((a) => a.username === 'elodie-martin')!;
  assert.match(elodie.cardUrl, /\/#card=/);

  const first = await newPage(browser, PHONE, { locale: 'fr-FR' });
  try {
    await first.page.goto(`${base}/#card=${elodie.cardSecret}`);
    await first.page.getByRole('heading', { name: 'Espace partagé', level: 1 }).waitFor();
    assert.equal(await first.page.getByRole('link', { name: /elodie-martin/ }).count(), 1, 'logged in as the pupil');
    assert.equal(new URL(first.page.url()).hash, '', 'the secret is gone from the address bar');
    await shoot(first.page, 'card-login-fr');
  } finally {
    await first.context.close();
  }

  const renewed = await api(base, s.adminToken, 'POST', '/api/admin/users/bulk', { action: 'new_cards', usernames: ['elodie-martin'] });
  assert.equal(renewed.status, 200, JSON.stringify(renewed.json));
  const second = await newPage(browser, PHONE, { locale: 'fr-FR' });
  try {
    await second.page.goto(`${base}/#card=${elodie.cardSecret}`);
    await second.page.getByRole('alert').getByText('Cette carte ne fonctionne plus. Demandez-en une nouvelle à votre enseignant.').waitFor();
    assert.equal(new URL(second.page.url()).hash, '');
    await shoot(second.page, 'card-revoked-fr');
  } finally {
    await second.context.close();
  }
});
