// The device settings card in Chromium (issue 17 item 2), in French on a phone: the current values, a
// passphrase too short refused in words before the drive is asked, a new network name applied with the
// countdown, the drive out of reach while the browser changes network, the confirmation; then a change
// nobody confirms coming back by itself. The root helper's own verbs answer behind a real Unix socket;
// what systemd's transient units would do (the apply, the revert timer) is played by the test.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { dispose } from '../helpers/server.js';
import { standInHelper, type StandInHelper } from '../helpers/root-helper.js';
import { SettingsState } from '../../provisioning/settings.js';
import { LAPTOP, launch, newPage, PHONE, seededDaemon, shoot, uiLogin, type Seeded } from './browser.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hcd-web-settings-'));
let helper: StandInHelper;
let state: SettingsState;
let configFile: string;

/** What the transient apply unit does to the bookkeeping once the steps have run. */
async function applied(): Promise<void> {
  const p = (await state.readPending())!;
  fs.writeFileSync(configFile, JSON.stringify(p.candidate));
  await state.writePending({ ...p, state: 'applied' });
}

/** What the revert timer's unit does when nobody confirmed. */
async function timerFires(): Promise<void> {
  const p = (await state.takePending())!;
  fs.writeFileSync(configFile, JSON.stringify(p.previous));
  await state.writeLast({ id: p.id, at: new Date().toISOString(), outcome: 'reverted', changed: p.changed });
}

let s: Seeded;
let browser: Browser;
before(async () => {
  helper = await standInHelper(dir, {
    hostname: 'homedrive',
    timezone: 'Europe/Paris',
    wifi: { country: 'FR', ssid: 'HomeDrive', passphrase: 'classe-de-cm2' },
  });
  configFile = helper.env.configFile;
  state = new SettingsState(helper.env.settingsDir);
  s = await seededDaemon({ HCD_HELPER_SOCKET: helper.socket });
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await dispose(s?.daemon);
  helper?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

// The Device tab's disks card lists the disks through the helper too: only the settings' calls count here.
const recorded = () => helper.recorded().filter((l) => !l.includes('homedrive-disks'));

test('a new Wi-Fi name from a phone, in French: refused values in words, applied, out of reach, confirmed; then one nobody confirms comes back', async () => {
  const { context, page } = await newPage(browser, PHONE, { locale: 'fr-FR' });
  try {
    await uiLogin(page, s.daemon.base, 'admin', s.users.admin.password);
    await page.goto(`${s.daemon.base}/admin/device`);
    const ssid = page.getByLabel('Nom du réseau');
    await ssid.waitFor();
    assert.equal(await ssid.inputValue(), 'HomeDrive');
    assert.equal(await page.getByLabel('Mot de passe du Wi-Fi').inputValue(), 'classe-de-cm2');
    assert.equal(await page.locator('#set-country').inputValue(), 'FR');
    assert.match(await page.locator('#set-country option:checked').innerText(), /^France \(FR\)$/);
    assert.equal(await page.locator('#set-channel').inputValue(), '', 'automatic');
    assert.match(await page.locator('#set-channel option:checked').innerText(), /^Automatique \(6\)$/);
    assert.equal(await page.getByLabel('Nom de l’appareil').inputValue(), 'homedrive');
    assert.equal(await page.getByLabel('Fuseau horaire').inputValue(), 'Europe/Paris');
    await shoot(page, 'device-settings-fr');

    // Too short, said in French before anything is sent.
    await page.getByLabel('Mot de passe du Wi-Fi').fill('court');
    await page.getByRole('button', { name: 'Appliquer' }).click();
    await page.locator('#set-msg', { hasText: 'Le mot de passe du Wi-Fi doit avoir de 8 à 63 caractères.' }).waitFor();
    await page.getByLabel('Mot de passe du Wi-Fi').fill('classe-de-cm2');
    await ssid.fill('Ééééééééééééééééé');
    await page.getByRole('button', { name: 'Appliquer' }).click();
    await page.locator('#set-msg', { hasText: 'Le nom du réseau est trop long' }).waitFor();
    assert.deepEqual(recorded(), [], 'nothing reached systemd');

    // 5 GHz offers only the four channels without radar detection.
    await page.locator('#set-band').selectOption('5GHz');
    assert.deepEqual(await page.locator('#set-channel option').allInnerTexts(), ['Automatique (36)', '36', '40', '44', '48']);
    await page.locator('#set-band').selectOption('2.4GHz');

    await ssid.fill('CM2 Bleu');
    await page.getByRole('button', { name: 'Appliquer' }).click();
    const dialog = page.getByRole('dialog', { name: 'Appliquer les nouveaux réglages ?' });
    assert.match(await dialog.innerText(), /Rejoignez le réseau «\sCM2 Bleu\s» .* dans les 2 minutes/);
    await dialog.getByRole('button', { name: 'Appliquer' }).click();
    await page.locator('#settings-pending', { hasText: 'Application des nouveaux réglages…' }).waitFor();
    const run = recorded();
    assert.equal(run.length, 3, run.join('\n'));
    assert.match(run[1]!, /--on-active=120s/);

    await applied();
    const keep = page.getByRole('button', { name: 'Garder les nouveaux réglages' });
    await keep.waitFor();
    const countdown = await page.locator('#settings-countdown').innerText();
    assert.match(countdown, /^Sans confirmation, les anciens réglages \(réseau «\sHomeDrive\s», nom homedrive\) reviennent dans 1:[0-5]\d\.$/);
    await shoot(page, 'device-settings-pending-fr');

    // The phone leaves the old network: the drive is out of reach until it joins the new one.
    await context.setOffline(true);
    await page.locator('#settings-pending', { hasText: 'Le disque ne répond pas : rejoignez le réseau Wi-Fi « CM2 Bleu »' }).waitFor();
    assert.equal(await keep.isHidden(), true, 'no confirmation from nowhere');
    await shoot(page, 'device-settings-unreachable-fr');
    await context.setOffline(false);
    await keep.waitFor();
    await keep.click();
    await page.locator('#settings-last', { hasText: /: confirmé\.$/ }).waitFor();
    assert.match(await page.locator('#settings-last').innerText(), /^Dernier changement \(nom du réseau\), .* : confirmé\.$/);
    assert.equal(await page.locator('#settings-pending').isHidden(), true);
    assert.equal(await ssid.inputValue(), 'CM2 Bleu', 'the form shows what is in use now');
    assert.deepEqual(recorded(), ['systemctl stop homedrive-settings-revert-*.timer']);

    // An open network and a new name, never confirmed: the timer puts both back, and the card says so.
    await page.getByLabel('Réseau ouvert (sans mot de passe Wi-Fi)').check();
    assert.equal(await page.getByLabel('Mot de passe du Wi-Fi').isHidden(), true);
    await page.getByLabel('Nom de l’appareil').fill('salle-12');
    assert.equal(await page.locator('#set-hostname-hint').innerText(), 'Son adresse : http://salle-12.local');
    await page.getByRole('button', { name: 'Appliquer' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Appliquer' }).click();
    await page.locator('#settings-pending').waitFor();
    await applied();
    await keep.waitFor();
    await timerFires();
    await page.locator('#settings-last', { hasText: 'pas confirmé à temps, les anciens réglages sont revenus' }).waitFor();
    assert.match(await page.locator('#settings-last').innerText(), /^Dernier changement \(nom, mot de passe Wi-Fi\)/);
    assert.equal(await page.locator('#settings-pending').isHidden(), true);
    assert.equal(await page.getByLabel('Nom de l’appareil').inputValue(), 'homedrive');
    assert.equal(await page.getByLabel('Réseau ouvert (sans mot de passe Wi-Fi)').isChecked(), false);
    await shoot(page, 'device-settings-reverted-fr');
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.equal(overflow, 0, 'no sideways scroll on a phone');
  } finally {
    await context.close();
  }
});

test('the settings card in English on a laptop', async () => {
  const { context, page } = await newPage(browser, LAPTOP);
  try {
    await uiLogin(page, s.daemon.base, 'admin', s.users.admin.password);
    await page.goto(`${s.daemon.base}/admin/device`);
    await page.getByRole('heading', { name: 'Wi-Fi and device' }).waitFor();
    // The fields show once the drive has said what they hold.
    await page.getByLabel('Network name').waitFor();
    assert.equal(await page.getByLabel('Network name').inputValue(), 'CM2 Bleu');
    assert.match(await page.locator('#set-country option:checked').innerText(), /^France \(FR\)$/);
    await page.getByLabel('Time zone').fill('Africa/Dakar');
    // A time zone alone cannot cut anyone off: no warning, kept without a confirmation.
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.locator('#settings-pending', { hasText: 'Applying the new settings…' }).waitFor();
    assert.equal(await page.getByRole('dialog').count(), 0);
    const p = (await state.takePending())!;
    assert.equal(p.revertAfterSeconds, null);
    fs.writeFileSync(configFile, JSON.stringify(p.candidate));
    await state.writeLast({ id: p.id, at: new Date().toISOString(), outcome: 'kept', changed: p.changed });
    await page.locator('#settings-last', { hasText: /^Last change \(time zone\), .*: applied\.$/ }).waitFor();
    await shoot(page, 'device-settings-en');
  } finally {
    await context.close();
  }
});
