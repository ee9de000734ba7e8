// Hand-in folders in Chromium on a phone: the admin creates one for a group of two pupils, each pupil hands
// a file in and sees only their own (with a receipt), a file handed in after the deadline is flagged late,
// the admin's roster shows both, and the zip holds one folder per pupil with their files.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import type { Browser } from 'playwright-core';
import { api, dispose, login } from '../helpers/server.js';
import { readZip } from '../helpers/zip.js';
import { launch, newPage, PHONE, seededDaemon, shoot, uiLogin, type Seeded } from './browser.js';

let s: Seeded;
let browser: Browser;
let base: string;

before(async () => {
  s = await seededDaemon();
  base = s.daemon.base;
  browser = await launch();
  const group = await api(base, s.adminToken, 'POST', '/api/admin/groups', { name: 'CM2 B' });
  assert.equal(group.status, 201);
  const added = await api(base, s.adminToken, 'PATCH', `/api/admin/groups/${group.json.id}`, { add: ['ulla', 'adam'] });
  assert.equal(added.status, 200);
});
after(async () => {
  await browser?.close();
  await dispose(s?.daemon);
});

/** A pupil hands `name` in from their phone; returns the receipt code the page shows. */
async function handIn(who: 'ulla' | 'adam', title: string, name: string, content: string, locale = 'en-GB') {
  const { context, page } = await newPage(browser, PHONE, { locale });
  try {
    await uiLogin(page, base, who, s.users[who].password);
    await page
      .getByRole('navigation')
      .getByRole('link', { name: /^(Hand-ins|Devoirs)$/ })
      .click();
    await page.getByRole('link', { name: title }).click();
    await page.getByRole('heading', { name: title, level: 1 }).waitFor();
    await page.locator('#handin-file').setInputFiles({ name, mimeType: 'text/plain', buffer: Buffer.from(content) });
    const receipt = page.locator('.receipt').first();
    await receipt.waitFor();
    const code = (await receipt.locator('.receipt-big').textContent())!.trim();
    assert.match(code, /^[0-9A-Z]{4}-[0-9A-Z]{4}$/);
    assert.ok((await receipt.textContent())!.includes(name));
    // The list under it has the same receipt once reloaded.
    await page.locator(`.mine .submission[data-receipt="${code}"]`).waitFor();
    return { context, page, code };
  } catch (err) {
    await context.close();
    throw err;
  }
}

test('a hand-in for two pupils: each sees only their own, a late file is flagged, the roster and the zip have one folder per pupil', async () => {
  // The admin creates it on a phone, with a deadline an hour ahead and the class as its roster.
  const admin = await newPage(browser, PHONE);
  let id: number;
  try {
    await uiLogin(admin.page, base, 'admin', s.users.admin.password);
    // Five sections for an administrator, all in sight on a 360 px phone.
    const nav = admin.page.getByRole('navigation', { name: 'Sections' });
    assert.deepEqual(await nav.getByRole('link').allInnerTexts(), ['Shared', 'Private', 'Hand-ins', 'Trash', 'Admin']);
    const outside = await nav
      .getByRole('link')
      .evaluateAll((links) => links.filter((a) => a.getBoundingClientRect().right > window.innerWidth).map((a) => a.textContent));
    assert.deepEqual(outside, []);
    await nav.getByRole('link', { name: 'Hand-ins' }).click();
    await admin.page.getByText('No hand-in yet').waitFor();
    await admin.page.getByRole('button', { name: 'New hand-in' }).click();
    const dialog = admin.page.getByRole('dialog', { name: 'New hand-in' });
    await dialog.getByLabel('Title').fill('Essay: my holidays');
    await dialog.getByLabel('Instructions (optional)').fill('One page.\nA photo of each page is fine.');
    const inAnHour = new Date(Date.now() + 3600_000);
    const p = (n: number) => String(n).padStart(2, '0');
    await dialog
      .getByLabel('Deadline (optional)')
      .fill(`${inAnHour.getFullYear()}-${p(inAnHour.getMonth() + 1)}-${p(inAnHour.getDate())}T${p(inAnHour.getHours())}:${p(inAnHour.getMinutes())}`);
    await dialog.getByLabel('Who hands in').selectOption({ label: 'CM2 B (2)' });
    await shoot(admin.page, 'handin-create');
    await dialog.getByRole('button', { name: 'Create' }).click();
    await admin.page.getByRole('heading', { name: 'Essay: my holidays', level: 1 }).waitFor();
    id = Number(/\/handins\/(\d+)$/.exec(admin.page.url())![1]);
    await admin.page.getByText('0 of 2 handed in').waitFor();
    assert.equal(await admin.page.locator('.roster .nothing-yet').count(), 2, 'both pupils: nothing yet');
  } finally {
    await admin.context.close();
  }

  // Each pupil hands in from their own phone (Ulla in French) and sees only their own file.
  const ulla = await handIn('ulla', 'Essay: my holidays', 'ulla-essay.txt', 'Ulla wrote this.', 'fr-FR');
  try {
    await ulla.page.locator('.receipt').getByText('C’est rendu. Votre reçu :').waitFor();
    await shoot(ulla.page, 'handin-receipt');
  } finally {
    await ulla.context.close();
  }
  const adam = await handIn('adam', 'Essay: my holidays', 'adam-essay.txt', 'Adam wrote that.');
  try {
    assert.equal(await adam.page.locator('.mine .submission').count(), 1);
    const text = (await adam.page.locator('main').textContent())!;
    assert.ok(text.includes('adam-essay.txt') && !text.includes('ulla-essay.txt') && !text.includes(ulla.code), "Adam sees nothing of Ulla's");
    // Adam's file link gives his bytes; Ulla's file, asked for by its id from his session, is a 404.
    const sid = async (who: 'ulla' | 'adam') =>
      (await api(base, await login(base, who, s.users[who].password), 'GET', `/api/handins/${id}`)).json.mine[0].id as number;
    const own = await adam.page.evaluate(async (url) => (await fetch(url)).text(), `/api/handins/${id}/submissions/${await sid('adam')}`);
    assert.equal(own, 'Adam wrote that.');
    const other = await adam.page.evaluate(async (url) => (await fetch(url)).status, `/api/handins/${id}/submissions/${await sid('ulla')}`);
    assert.equal(other, 404);
  } finally {
    await adam.context.close();
  }

  // The deadline passes (moved to just now, after both files: the daemon's clock is the machine's); Ulla's
  // second file is late, the first two stay on time.
  const moved = await api(base, s.adminToken, 'PATCH', `/api/handins/${id}`, { deadline: new Date(Date.now() - 100).toISOString() });
  assert.equal(moved.status, 200);
  const late = await handIn('ulla', 'Essay: my holidays', 'ulla-page2.txt', 'Page two, late.', 'fr-FR');
  try {
    await late.page.locator('.receipt .badge.late', { hasText: 'En retard' }).waitFor();
    await late.page.locator('.late-hint', { hasText: 'La date limite est passée' }).waitFor();
    // After the deadline nothing handed in can be withdrawn.
    assert.equal(await late.page.getByRole('button', { name: /^Retirer/ }).count(), 0);
    assert.equal(await late.page.locator('.mine .submission').count(), 2);
    await shoot(late.page, 'handin-late');
  } finally {
    await late.context.close();
  }

  // The admin's roster: both pupils, their files, receipts and the late flag; the zip, one folder per pupil.
  const back = await newPage(browser, PHONE);
  try {
    await uiLogin(back.page, base, 'admin', s.users.admin.password);
    await back.page.goto(`${base}/handins/${id}`);
    await back.page.getByText('2 of 2 handed in').waitFor();
    const ullaLine = back.page.locator('.roster-line[data-user="ulla"]');
    assert.equal(await ullaLine.locator('.submission').count(), 2);
    assert.equal(await ullaLine.locator('.badge.late').count(), 1);
    assert.ok((await ullaLine.textContent())!.includes(ulla.code), "Ulla's receipt on the teacher's roster");
    const adamLine = back.page.locator('.roster-line[data-user="adam"]');
    assert.ok((await adamLine.textContent())!.includes(adam.code));
    assert.equal(await adamLine.locator('.badge.late').count(), 0, "Adam's file was on time");
    await shoot(back.page, 'handin-roster');
    const [download] = await Promise.all([back.page.waitForEvent('download'), back.page.getByRole('link', { name: 'Download all (zip)' }).click()]);
    const file = (await download.path())!;
    const items = readZip(fs.readFileSync(file));
    assert.deepEqual(
      items.map((i) => [i.name, i.data.toString()]),
      [
        ['adam/adam-essay.txt', 'Adam wrote that.'],
        ['ulla/ulla-essay.txt', 'Ulla wrote this.'],
        ['ulla/ulla-page2.txt', 'Page two, late.'],
      ],
    );
    // Python's own zip reader agrees (a second, independent reader of the same bytes).
    const listed = execFileSync('python3', ['-c', 'import sys, zipfile; print("\\n".join(zipfile.ZipFile(sys.argv[1]).namelist()))', file], {
      encoding: 'utf8',
    });
    assert.deepEqual(listed.trim().split('\n'), ['adam/adam-essay.txt', 'ulla/ulla-essay.txt', 'ulla/ulla-page2.txt']);
  } finally {
    await back.context.close();
  }
});

test("the admin's page warns when the drive's clock and the browser's disagree", async () => {
  const adminToken = await login(base, 'admin', s.users.admin.password);
  const made = await api(base, adminToken, 'POST', '/api/handins', { title: 'Clock check' });
  assert.equal(made.status, 201);
  const { context, page } = await newPage(browser, PHONE);
  try {
    await uiLogin(page, base, 'admin', s.users.admin.password);
    await page.goto(`${base}/handins/${made.json.id}`);
    await page.getByRole('heading', { name: 'Clock check', level: 1 }).waitFor();
    assert.equal(await page.locator('#handin-clock-warning').count(), 0, 'in step: no warning');
    // This browser three hours ahead of the drive: as after a Pi booted without its clock set.
    await page.addInitScript(() => {
      const real = Date.now;
      Date.now = () => real() + 3 * 3600_000;
    });
    await page.reload();
    await page.locator('#handin-clock-warning').waitFor();
    assert.ok((await page.locator('#handin-clock-warning').textContent())!.includes('looks wrong'));
    await page.getByRole('button', { name: /Set the device clock|Régler/ }).waitFor();
    await shoot(page, 'handin-clock-warning');
  } finally {
    await context.close();
  }
});
