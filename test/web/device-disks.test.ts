// The disks card of Admin → Appareil in Chromium (issue 17 item 3), in French on a phone. The root
// helper's disk verbs answer behind a real Unix socket with a stand-in systemd-run that prints a Pi's
// disks; what the transient job unit would write to its progress file, the test writes.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { dispose } from '../helpers/server.js';
import { handle, helperEnv } from '../../provisioning/helper/verbs.js';
import { diskAnswer, diskEnv, type DiskHelperEnv } from '../../provisioning/helper/disk-verbs.js';
import { JobStore } from '../../provisioning/disks-job.js';
import { PI_DISKS, standIns } from '../provisioning/helpers/disk-fixtures.js';
import { launch, newPage, PHONE, seededDaemon, shoot, uiLogin, type Seeded } from './browser.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hcd-web-disks-'));
const sock = path.join(dir, 'helper.sock');
const calls = path.join(dir, 'calls');

function script(name: string, body: string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, `#!/bin/sh\n${body}\n`);
  fs.chmodSync(file, 0o755);
  return file;
}

const env: DiskHelperEnv = { ...helperEnv({}), ...diskEnv({}), ...standIns(dir, script), disksDir: path.join(dir, 'state') };
const store = new JobStore(env.disksDir);
const listing = (disks: unknown) => fs.writeFileSync(path.join(dir, 'disks.json'), JSON.stringify(disks));
const unit = (state: 'active' | 'inactive') => fs.writeFileSync(path.join(dir, 'unit-state'), `${state}\n`);
listing(PI_DISKS);

const helper = net.createServer((c) => {
  let got = '';
  c.setEncoding('utf8');
  c.on('data', async (d: string) => {
    got += d;
    const nl = got.indexOf('\n');
    if (nl < 0) return;
    const line = got.slice(0, nl);
    const disk = await diskAnswer(JSON.parse(line), env);
    c.end(`${JSON.stringify(disk ? disk.answer : (await handle(line, env)).answer)}\n`);
  });
});

let s: Seeded;
let browser: Browser;
before(async () => {
  await new Promise<void>((r) => helper.listen(sock, r));
  s = await seededDaemon({ HCD_HELPER_SOCKET: sock });
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await dispose(s?.daemon);
  helper.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

function recorded(): string[] {
  const text = fs.existsSync(calls) ? fs.readFileSync(calls, 'utf8') : '';
  fs.rmSync(calls, { force: true });
  return text.split('\n').filter(Boolean);
}

async function progress(id: string, patch: Record<string, unknown>): Promise<void> {
  const p = (await store.readProgress(id))!;
  await store.writeProgress({ ...p, ...patch });
}

function lastJobId(): string {
  const started = recorded().filter((l) => / --no-block /.test(l));
  const m = /(\w+) ([0-9a-f]{16})$/.exec(started.at(-1) ?? '');
  assert.ok(m, 'a job was started');
  return m[2]!;
}

test('disks in French on a phone: roles, a prepare refused then confirmed by typing the name, its progress; an import with a bad folder refused locally, its bytes, its outcome', async () => {
  const { context, page } = await newPage(browser, PHONE, { locale: 'fr-FR' });
  try {
    await uiLogin(page, s.daemon.base, 'admin', s.users.admin.password);
    await page.goto(`${s.daemon.base}/admin/device`);
    const disks = page.locator('#disks-list > li.disk');
    await disks.nth(4).waitFor();
    assert.equal(await disks.count(), 5);
    const sd = page.locator('li.disk[data-path="/dev/mmcblk0"]');
    const ssd = page.locator('li.disk[data-path="/dev/sda"]');
    const blank = page.locator('li.disk[data-path="/dev/sdd"]');
    const stick = page.locator('li.disk[data-path="/dev/sdb"]');
    assert.equal(await sd.locator('.disk-role').innerText(), 'Carte SD (système)');
    assert.equal(await ssd.locator('.disk-role').innerText(), 'Stockage du disque');
    assert.match(await ssd.innerText(), /Samsung SSD 870/);
    assert.match(await ssd.innerText(), /ext4 · « HOMEDRIVE » · 500\sGo · utilisé sur \/srv\/homedrive/);
    assert.match(await stick.innerText(), /exFAT · « CLE USB »/);
    assert.match(await blank.innerText(), /Aucun système de fichiers \(disque vierge\)/);
    // Nothing to do on the SD card or the storage from here.
    assert.equal(await sd.locator('button').count(), 0);
    assert.equal(await ssd.locator('button').count(), 0);
    assert.deepEqual(await stick.locator('button').allInnerTexts(), [
      'Importer dans l’espace partagé',
      'Exporter un dossier',
      'Préparer comme stockage',
      'Éjecter',
    ]);
    // The Device tab's third card: brought into view for the screenshot.
    await page.locator('#disks-list').evaluate((el) => el.closest('section, .card, article')?.scrollIntoView({ block: 'start' }));
    await shoot(page, 'device-disks-fr');
    recorded();

    // Prepare: the button stays disabled until the displayed name is typed; the helper still refuses
    // while the storage SSD is connected (two HOMEDRIVE disks), said in the dialog.
    await blank.getByRole('button', { name: 'Préparer comme stockage' }).click();
    const dialog = page.getByRole('dialog', { name: 'Effacer /dev/sdd WD Elements ?' });
    assert.match(await dialog.innerText(), /Tout le contenu de ce disque \(1\sTo\) est effacé/);
    assert.equal(await dialog.locator('#disks-confirm-name').innerText(), '/dev/sdd WD Elements');
    const go = dialog.getByRole('button', { name: 'Effacer et préparer' });
    await dialog.getByLabel('Nom du disque').fill('/dev/sdd');
    assert.equal(await go.isDisabled(), true);
    await dialog.getByLabel('Nom du disque').fill('/dev/sdd WD Elements');
    assert.equal(await go.isDisabled(), false);
    await go.click();
    await dialog.locator('#disks-confirm-error', { hasText: 'Refusé : /dev/sda Samsung SSD 870 already has a HOMEDRIVE file system' }).waitFor();
    assert.ok(!recorded().some((l) => / --no-block /.test(l)), 'nothing started');
    // The SSD unplugged: now it goes.
    listing(PI_DISKS.filter((d) => d.path !== '/dev/sda'));
    await go.click();
    await dialog.waitFor({ state: 'detached' });
    const id = lastJobId();
    unit('active');
    const box = page.locator('#disks-job');
    await box.getByText('Préparation de /dev/sdd comme stockage.').waitFor();
    await progress(id, { state: 'running', step: 'format' });
    await box.getByText(/Formatage…/).waitFor();
    await page.locator('li.disk .disk-prepare:disabled').first().waitFor();
    listing([
      ...PI_DISKS.filter((d) => d.path !== '/dev/sda' && d.path !== '/dev/sdd'),
      { ...PI_DISKS[1], path: '/dev/sdd', displayName: '/dev/sdd WD Elements', model: 'WD Elements' },
    ]);
    await progress(id, { state: 'done', step: 'done', finishedAt: new Date().toISOString() });
    unit('inactive');
    await box.getByText('/dev/sdd est prêt : c’est maintenant le stockage du disque réseau.').waitFor();
    await page.locator('li.disk[data-path="/dev/sdd"] .disk-role', { hasText: 'Stockage du disque' }).waitFor();

    // Import: a folder leaving the workspace refused before the drive is asked.
    await stick.getByRole('button', { name: 'Importer dans l’espace partagé' }).click();
    const imp = page.getByRole('dialog', { name: 'Importer CLE USB' });
    const folder = imp.getByLabel('Dossier de l’espace partagé');
    assert.equal(await folder.inputValue(), 'CLE USB');
    await folder.fill('../x');
    await imp.getByRole('button', { name: 'Importer' }).click();
    await imp.locator('#dlg-error', { hasText: 'sans « .. »' }).waitFor();
    assert.ok(!recorded().some((l) => / --no-block /.test(l)), 'nothing started');
    await folder.fill('Sortie/Musée');
    await imp.getByRole('button', { name: 'Importer' }).click();
    await imp.waitFor({ state: 'detached' });
    const imported = lastJobId();
    assert.deepEqual((await store.readJob(imported)) && { ...(await store.readJob(imported)), createdAt: '', id: '' }, {
      id: '',
      command: 'import',
      by: 'admin',
      createdAt: '',
      partition: '/dev/sdb1',
      folder: 'Sortie/Musée',
    });
    unit('active');
    await progress(imported, { state: 'running', step: 'copy', bytesDone: 2_000_000, bytesTotal: 8_000_000, filesDone: 1, filesTotal: 4 });
    await box.getByText(/^Import de \/dev\/sdb1\. Copie… 2\sMo sur 8\sMo, fichiers : 1 sur 4\.$/).waitFor();
    assert.equal(await page.locator('#disks-progress').getAttribute('max'), '8000000');
    assert.equal(await page.locator('#disks-progress').evaluate((p) => (p as HTMLProgressElement).value), 2_000_000);
    await page.locator('#disks-job').evaluate((el) => el.scrollIntoView({ block: 'center' }));
    await shoot(page, 'device-disks-import-fr');
    await progress(imported, {
      state: 'done',
      step: 'done',
      bytesDone: 8_000_000,
      filesDone: 4,
      destination: 'Sortie/Musée',
      skippedCount: 1,
      skipped: ['raccourci'],
      finishedAt: new Date().toISOString(),
    });
    unit('inactive');
    await box
      .getByText(/Importé : 4 fichiers \(8\sMo\) dans « Sortie\/Musée » de l’espace partagé\. 1 élément non copié \(liens ou fichiers spéciaux\) : raccourci/)
      .waitFor();
    assert.equal(await page.locator('#disks-progress').isHidden(), true);
  } finally {
    await context.close();
  }
});
