// Backups in Chromium, in French on a phone: an admin makes one in the storage tab; then a new SD card (no
// database) meets the SSD: after the first login the drive offers the newest backup, restores it, restarts
// (here the test plays systemd) and the page comes back to a login where the old accounts work again.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { dispose, login, startDaemon, type Daemon } from '../helpers/server.js';
import { launch, newPage, PHONE, seededDaemon, shoot, uiLogin, type Seeded } from './browser.js';

let s: Seeded;
let browser: Browser;
let d: Daemon | undefined;

before(async () => {
  s = await seededDaemon();
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await dispose(d);
  await dispose(s?.daemon);
});

test('an admin backs up in French on a phone; a new SD card is offered the backup, restores it and the old accounts log in', async () => {
  const { context, page } = await newPage(browser, PHONE, { locale: 'fr-FR' });
  try {
    await uiLogin(page, s.daemon.base, 'admin', s.users.admin.password);
    await page.goto(`${s.daemon.base}/admin/storage`);
    await page.getByText('Pas encore de sauvegarde').waitFor();
    await page.getByRole('button', { name: 'Sauvegarder maintenant' }).click();
    await page.getByText(/^Sauvegarde faite/).waitFor();
    const row = page.locator('.backup');
    // The message comes first, the refreshed list a moment later.
    await row.first().waitFor();
    assert.equal(await row.count(), 1);
    assert.match(await row.innerText(), /3 comptes · 5 fichiers/);
    await row.scrollIntoViewIfNeeded();
    await shoot(page, 'backups-fr');
  } finally {
    await context.close();
  }

  // A new SD card: the database is gone, the SSD (data dir) with its backups stays; same address.
  const { dir, port } = s.daemon;
  await s.daemon.stop();
  for (const f of fs.readdirSync(dir)) if (f.startsWith('hcd.db')) fs.rmSync(path.join(dir, f));
  d = await startDaemon({ dir, env: { HCD_PORT: String(port) } });
  const printed = d.adminPassword!;

  const second = await newPage(browser, PHONE, { locale: 'fr-FR' });
  const page2 = second.page;
  try {
    await page2.goto(`${d.base}/`);
    await page2.getByLabel('Nom').fill('admin');
    await page2.getByLabel('Mot de passe').fill(printed);
    await page2.getByRole('button', { name: 'Se connecter' }).click();
    await page2.getByLabel('Mot de passe actuel').fill(printed);
    await page2.getByLabel('Nouveau mot de passe', { exact: true }).fill('nouvelle-carte-1');
    await page2.getByLabel('Nouveau mot de passe, encore').fill('nouvelle-carte-1');
    await page2.getByRole('button', { name: 'Changer le mot de passe' }).click();
    const offer = page2.getByRole('dialog', { name: 'Ce SSD a des sauvegardes' });
    await offer.getByText(/avec 3 comptes/).waitFor();
    await shoot(page2, 'backup-offer-fr');
    await offer.getByRole('button', { name: 'Restaurer' }).click();
    const confirm = page2.getByRole('dialog', { name: 'Restaurer une sauvegarde' });
    await confirm.getByText(/ce qui a été créé depuis est perdu/).waitFor();
    await confirm.getByRole('button', { name: 'Restaurer' }).click();
    await page2.getByText(/Restauration… le disque redémarre/).waitFor();

    // The daemon stops by itself asking for a restart; the test does what systemd's Restart= does.
    assert.equal(await d.stop('SIGCONT'), 75);
    d = await startDaemon({ dir, env: { HCD_PORT: String(port) } });
    assert.match(d.output(), /restored a backup/);
    // The page notices the drive is back and reloads: the sessions are the backup's, so it asks to log in.
    await page2.getByRole('button', { name: 'Se connecter' }).waitFor({ timeout: 20_000 });
    await uiLogin(page2, d.base, 'ulla', s.users.ulla.password);
    await login(d.base, 'admin', s.users.admin.password);
  } finally {
    await second.context.close();
  }
});
