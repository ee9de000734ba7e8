// The update card in Chromium (issue 17 item 5), in French on a phone: the running version, a signed bundle
// uploaded and checked ("installed X → new Y, signed, N MB"), installed after a confirmation, the card waiting
// through the restart until the outcome, then going back to the previous version offered; a tampered file refused
// in words. The root helper's update verbs answer behind a real Unix socket; what the transient install unit does
// is played by the test. Needs the card mounted in web/src/views/device.ts (updateCard()).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { dispose } from '../helpers/server.js';
import { answerUpdate } from '../../provisioning/helper/update-verbs.js';
import { appTree, makeBundle, recorded, tampered, updateHelperWorld } from '../provisioning/helpers/update-fixtures.js';
import { launch, newPage, PHONE, seededDaemon, shoot, uiLogin, type Seeded } from './browser.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hcd-web-update-'));
const sock = path.join(dir, 'helper.sock');
const { key, uploads, stateDir, appDir, calls, env } = updateHelperWorld(dir);

const helper = net.createServer((c) => {
  let got = '';
  c.setEncoding('utf8');
  c.on('data', async (d: string) => {
    got += d;
    const nl = got.indexOf('\n');
    if (nl < 0) return;
    c.end(`${JSON.stringify(await answerUpdate(got.slice(0, nl), env))}\n`);
  });
});

let s: Seeded;
let browser: Browser;
before(async () => {
  await new Promise<void>((r) => helper.listen(sock, r));
  s = await seededDaemon({ HCD_HELPER_SOCKET: sock, HCD_UPDATE_DIR: uploads });
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await dispose(s?.daemon);
  helper.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('an update from a phone, in French: checked, shown, confirmed, installed; a tampered file refused; going back offered', async () => {
  const good = await makeBundle(dir, key, '0.2.0+bbbbbbb');
  const bad = tampered(await makeBundle(dir, key, '0.3.0+ccccccc'));
  const { context, page } = await newPage(browser, PHONE, { locale: 'fr-FR' });
  try {
    await uiLogin(page, s.daemon.base, 'admin', s.users.admin.password);
    await page.goto(`${s.daemon.base}/admin/device`);
    await page.locator('#update-versions', { hasText: 'Version installée : 0.1.0+aaaaaaa. Aucune version précédente conservée.' }).waitFor();
    assert.equal(await page.locator('#update-rollback').isVisible(), false, 'nothing to go back to');

    // A tampered file: refused in words, nothing kept.
    await page.getByLabel('Fichier de mise à jour (.hcdb)').setInputFiles(bad);
    await page.getByRole('button', { name: 'Envoyer et vérifier' }).click();
    await page.locator('#update-msg', { hasText: 'Ce fichier n’est pas une mise à jour que ce disque accepte' }).waitFor();
    assert.match(await page.locator('#update-msg').innerText(), /tampered/);
    assert.equal(await page.locator('#update-checked').isVisible(), false);

    await page.getByLabel('Fichier de mise à jour (.hcdb)').setInputFiles(good);
    await page.getByRole('button', { name: 'Envoyer et vérifier' }).click();
    const mb = (fs.statSync(good).size / 1e6).toLocaleString('fr-FR', { maximumSignificantDigits: 3 });
    await page.locator('#update-summary', { hasText: `Version installée 0.1.0+aaaaaaa → nouvelle version 0.2.0+bbbbbbb, signée, ${mb} Mo.` }).waitFor();
    await shoot(page, 'device-update-fr');
    assert.deepEqual(recorded(calls), [], 'checked, not installed');

    await page.getByRole('button', { name: 'Installer' }).click();
    const dialog = page.getByRole('dialog', { name: 'Installer la version 0.2.0+bbbbbbb ?' });
    await dialog.getByRole('button', { name: 'Installer' }).click();
    await page.locator('#update-state', { hasText: 'Installation de la version 0.2.0+bbbbbbb' }).waitFor();
    const run = recorded(calls);
    assert.equal(run.length, 1, run.join('\n'));
    assert.match(run[0]!, /install\.js install [0-9a-f]{16}$/);
    assert.equal(await page.locator('#update-upload').isDisabled(), true, 'no second upload while installing');

    // What install.js does once the new version serves.
    const pending = JSON.parse(fs.readFileSync(path.join(stateDir, 'pending.json'), 'utf8')) as { id: string };
    fs.renameSync(path.join(appDir, 'app'), path.join(dir, 'old-app'));
    appTree(path.join(appDir, 'previous'), '0.1.0+aaaaaaa');
    appTree(appDir, '0.2.0+bbbbbbb');
    fs.writeFileSync(
      path.join(stateDir, 'last.json'),
      JSON.stringify({
        id: pending.id,
        action: 'install',
        at: new Date().toISOString(),
        outcome: 'installed',
        version: '0.2.0+bbbbbbb',
        running: '0.2.0+bbbbbbb',
      }),
    );
    fs.rmSync(path.join(stateDir, 'pending.json'));
    await page.locator('#update-state', { hasText: 'La version 0.2.0+bbbbbbb est installée et fonctionne.' }).waitFor();
    assert.match(await page.locator('#update-versions').innerText(), /Version installée : 0\.2\.0\+bbbbbbb\. Version précédente : 0\.1\.0\+aaaaaaa\./);
    await page.getByRole('button', { name: 'Recharger la page pour la nouvelle version' }).waitFor();

    await page.getByRole('button', { name: 'Revenir à la version précédente' }).click();
    await page.getByRole('dialog', { name: 'Revenir à la version 0.1.0+aaaaaaa ?' }).getByRole('button', { name: 'Revenir à la version précédente' }).click();
    await page.locator('#update-state', { hasText: 'Retour à la version 0.1.0+aaaaaaa' }).waitFor();
    assert.match(recorded(calls)[0] ?? '', /install\.js rollback$/);
  } finally {
    await context.close();
  }
});
