// The device tab in Chromium, in French: an admin plans a restart, a pupil's page shows the warning, the admin
// calls it off. The daemon's power commands are `true` here: a test must never restart the machine it runs on.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import { dispose } from '../helpers/server.js';
import { LAPTOP, launch, newPage, PHONE, seededDaemon, shoot, uiLogin, type Seeded } from './browser.js';

let s: Seeded;
let browser: Browser;

before(async () => {
  s = await seededDaemon({ HCD_REBOOT_COMMAND: 'true', HCD_SHUTDOWN_COMMAND: 'true', HCD_SHUTDOWN_WARNING_SECONDS: '600' });
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await dispose(s?.daemon);
});

test('an admin plans a restart in French; a pupil on a phone is warned; the admin calls it off', async () => {
  const admin = await newPage(browser, LAPTOP, { locale: 'fr-FR' });
  const pupil = await newPage(browser, PHONE, { locale: 'fr-FR' });
  try {
    await uiLogin(admin.page, s.daemon.base, 'admin', s.users.admin.password);
    await admin.page.goto(`${s.daemon.base}/admin/device`);
    await admin.page.getByText('Rien de prévu.').waitFor();
    await admin.page.getByRole('button', { name: 'Redémarrer' }).click();
    await admin.page.getByRole('dialog', { name: 'Redémarrer le disque ?' }).getByRole('button', { name: 'Redémarrer' }).click();
    await admin.page.locator('#power-state', { hasText: /^Le disque redémarre à \d/ }).waitFor();
    await shoot(admin.page, 'device-restart-planned-fr');

    await uiLogin(pupil.page, s.daemon.base, 'ulla', s.users.ulla.password);
    const banner = pupil.page.getByRole('alert').filter({ hasText: 'Le disque redémarre à' });
    await banner.waitFor();
    assert.match(await banner.innerText(), /demandé par l’administrateur/);
    await shoot(pupil.page, 'device-notice-fr');

    await admin.page.getByRole('button', { name: 'Annuler' }).click();
    await admin.page.getByText('Rien de prévu.').waitFor();
    await pupil.page.reload();
    await pupil.page.getByRole('heading', { name: 'Espace partagé', level: 1 }).waitFor();
    assert.equal(await pupil.page.locator('#notice').isHidden(), true, 'the warning is gone');
  } finally {
    await admin.context.close();
    await pupil.context.close();
  }
});
