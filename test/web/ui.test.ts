// Real-browser tests of the web UI against a real daemon: roles, uploads, downloads, admin, languages, screenshots.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { api, dispose, login, startDaemon } from '../helpers/server.js';
import { fileOnDisk, LAPTOP, launch, newPage, PHONE, seededDaemon, shoot, uiLogin, type Seeded } from './browser.js';

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

async function actionNames(page: Page, entry: string): Promise<string[]> {
  await page.getByRole('button', { name: `Actions for ${entry}` }).click();
  const dialog = page.getByRole('dialog', { name: entry });
  await dialog.waitFor();
  const names = (await dialog.locator('.sheet .btn').allInnerTexts()).map((x) => x.trim());
  await dialog.getByRole('button', { name: 'Close' }).click();
  await dialog.waitFor({ state: 'detached' });
  return names;
}

const sha = (b: Buffer) => crypto.createHash('sha256').update(b).digest('hex');

test('a normal user sees the shared workspace only: no private container, no admin, no rename or delete', async () => {
  const { context, page } = await newPage(browser, PHONE);
  try {
    await uiLogin(page, base, 'ulla', s.users.ulla.password);
    const nav = page.getByRole('navigation', { name: 'Sections' });
    // No Trash tab: a normal user deletes nothing, so has nothing in a trash.
    assert.deepEqual(await nav.getByRole('link').allInnerTexts(), ['Shared', 'Hand-ins']);
    await page.getByRole('link', { name: 'adam-notes.txt', exact: true }).waitFor();
    for (const entry of ['adam-notes.txt', 'welcome.txt']) {
      assert.deepEqual(await actionNames(page, entry), ['Preview', 'Download'], entry);
    }
    assert.deepEqual(await actionNames(page, 'Photos'), ['Open', 'Download zip', 'A folder per uploader']);
    // Still offered: upload and new folder, which the role allows.
    await page.getByRole('button', { name: 'Upload files' }).waitFor();
    await page.goto(`${base}/admin/users`);
    await page.getByRole('heading', { name: 'Only administrators can see this page.' }).waitFor();
    await page.goto(`${base}/files/home/`);
    await page.getByText('You are not allowed to do this.').waitFor();
  } finally {
    await context.close();
  }
});

test('the activity log reads in French: actions and details in words, not codes and JSON', async () => {
  // A failed login to find in the log.
  assert.equal((await api(base, null, 'POST', '/api/auth/login', { username: 'ulla', password: 'not-her-password' })).status, 401);
  const { context, page } = await newPage(browser, LAPTOP, { locale: 'fr-FR' });
  try {
    await uiLogin(page, base, 'admin', s.users.admin.password);
    await page.goto(`${base}/admin/audit`);
    const row = page.locator('table.audit tbody tr', { has: page.locator('td[data-action="login_failed"]') }).first();
    await row.waitFor();
    const text = await row.innerText();
    assert.match(text, /Connexion refusée/);
    assert.match(text, /raison : nom ou mot de passe incorrect/);
    assert.doesNotMatch(text, /login_failed|\{"/);
    await shoot(page, 'audit-fr');
  } finally {
    await context.close();
  }
});

test('the administrator is asked to replace the printed first password at the first login', async () => {
  const d = await startDaemon();
  const { context, page } = await newPage(browser, LAPTOP, { locale: 'fr-FR' });
  try {
    await page.goto(`${d.base}/`);
    await page.getByLabel('Nom').fill('admin');
    await page.getByLabel('Mot de passe').fill(d.adminPassword!);
    await page.getByRole('button', { name: 'Se connecter' }).click();
    // Straight to the account page, whatever was asked for, until it is done.
    await page
      .getByRole('alert')
      .getByText(/choisissez le vôtre avant de continuer/)
      .waitFor();
    await page.goto(`${d.base}/admin/users`);
    await page
      .getByRole('alert')
      .getByText(/choisissez le vôtre/)
      .waitFor();
    await shoot(page, 'first-login-fr');
    await page.getByLabel('Mot de passe actuel').fill(d.adminPassword!);
    await page.getByLabel('Nouveau mot de passe', { exact: true }).fill('mon-propre-secret');
    await page.getByLabel('Nouveau mot de passe, encore').fill('mon-propre-secret');
    await page.getByRole('button', { name: 'Changer le mot de passe' }).click();
    await page.getByRole('heading', { name: 'Espace partagé', level: 1 }).waitFor();
    const me = await api(d.base, await login(d.base, 'admin', 'mon-propre-secret'), 'GET', '/api/auth/me');
    assert.equal(me.json.user.mustChangePassword, false);
  } finally {
    await context.close();
    await dispose(d);
  }
});

test('a file larger than the whole quota says so; "quota full" only when it is', async () => {
  assert.equal(
    (await api(base, s.adminToken, 'POST', '/api/admin/users', { username: 'petit', password: 'petit-password', role: 'user', quotaBytes: 4000 })).status,
    201,
  );
  const { context, page } = await newPage(browser, PHONE, { locale: 'fr-FR' });
  try {
    await uiLogin(page, base, 'petit', 'petit-password');
    await page.locator('#pick-files').setInputFiles({ name: 'gros.bin', mimeType: 'application/octet-stream', buffer: Buffer.alloc(10_000, 1) });
    await page
      .locator('.upload', { hasText: 'gros.bin' })
      .getByText(/est plus grand que tout votre quota/)
      .waitFor();
    await page.locator('#pick-files').setInputFiles({ name: 'moyen.bin', mimeType: 'application/octet-stream', buffer: Buffer.alloc(3000, 1) });
    await page
      .locator('.upload', { hasText: 'moyen.bin' })
      .getByText(/^Terminé/)
      .waitFor();
    await page.locator('#pick-files').setInputFiles({ name: 'encore.bin', mimeType: 'application/octet-stream', buffer: Buffer.alloc(2000, 1) });
    await page
      .locator('.upload', { hasText: 'encore.bin' })
      .getByText(/ne tient pas : il reste/)
      .waitFor();
    assert.equal(await page.getByText(/Votre quota est plein/).count(), 0, 'not full: 1000 bytes are left');
  } finally {
    await context.close();
  }
});

test("the upload panel shows this space's uploads only, and folds to its summary", async () => {
  const { context, page } = await newPage(browser, PHONE);
  try {
    assert.equal((await api(base, s.adminToken, 'POST', '/api/admin/users', { username: 'panel', password: 'panel-password', role: 'advanced' })).status, 201);
    await uiLogin(page, base, 'panel', 'panel-password');
    await page.goto(`${base}/files/home/`);
    await page.locator('#pick-files').setInputFiles({ name: 'private-draft.txt', mimeType: 'text/plain', buffer: Buffer.from('draft') });
    const panel = page.locator('section.uploads');
    await panel.locator('.upload', { hasText: 'private-draft.txt' }).getByText(/^Done/).waitFor();
    await panel.getByRole('button', { name: 'Hide' }).click();
    assert.equal(await panel.locator('.upload-list').isVisible(), false);
    assert.match(await panel.locator('.uploads-head').innerText(), /1 done|done/i);
    await panel.getByRole('button', { name: 'Show' }).click();
    await panel.locator('.upload', { hasText: 'private-draft.txt' }).waitFor();
    // In the shared workspace, the private container's upload is not listed.
    await page.getByRole('link', { name: 'Shared', exact: true }).click();
    await page.getByRole('link', { name: 'welcome.txt', exact: true }).waitFor();
    assert.equal(await page.locator('section.uploads').isVisible(), false);
  } finally {
    await context.close();
  }
});

test('the admin sections fit a 360 px phone in French ("État" in sight)', async () => {
  const { context, page } = await newPage(browser, PHONE, { locale: 'fr-FR' });
  try {
    await uiLogin(page, base, 'admin', s.users.admin.password);
    await page.goto(`${base}/admin/health`);
    await page.locator('nav.subtabs').getByRole('link', { name: 'État' }).waitFor();
    const outside = await page.locator('nav.subtabs a').evaluateAll((links) =>
      links
        .filter((a) => {
          const r = a.getBoundingClientRect();
          return r.left < 0 || r.right > window.innerWidth;
        })
        .map((a) => a.textContent),
    );
    assert.deepEqual(outside, []);
    await shoot(page, 'admin-health-fr');
  } finally {
    await context.close();
  }
});

test('a disabled account is told so in French, not "wrong password"', async () => {
  assert.equal((await api(base, s.adminToken, 'POST', '/api/admin/users', { username: 'absent', password: 'absent-password', role: 'user' })).status, 201);
  assert.equal((await api(base, s.adminToken, 'PATCH', '/api/admin/users/absent', { disabled: true })).status, 200);
  const { context, page } = await newPage(browser, PHONE, { locale: 'fr-FR' });
  try {
    await page.goto(`${base}/`);
    await page.getByLabel('Nom').fill('absent');
    await page.getByLabel('Mot de passe').fill('absent-password');
    await page.getByRole('button', { name: 'Se connecter' }).click();
    await page.getByText('Compte désactivé — voyez votre enseignant.').waitFor();
    await shoot(page, 'login-disabled-fr');
  } finally {
    await context.close();
  }
});

test('an advanced user may change only what they uploaded, and has a private container', async () => {
  const { context, page } = await newPage(browser, LAPTOP);
  try {
    await uiLogin(page, base, 'adam', s.users.adam.password);
    const nav = page.getByRole('navigation', { name: 'Sections' });
    assert.deepEqual(await nav.getByRole('link').allInnerTexts(), ['Shared', 'Private', 'Hand-ins', 'Trash']);
    await page.getByRole('link', { name: 'welcome.txt', exact: true }).waitFor();
    assert.deepEqual(await actionNames(page, 'adam-notes.txt'), ['Preview', 'Download', 'Share', 'Rename', 'Move', 'Delete']);
    assert.deepEqual(await actionNames(page, 'welcome.txt'), ['Preview', 'Download', 'Share']);
    await nav.getByRole('link', { name: 'Private', exact: true }).click();
    await page.getByRole('heading', { name: 'My container', level: 1 }).waitFor();
    await page.getByRole('link', { name: 'private-plan.txt', exact: true }).waitFor();
    assert.deepEqual(await actionNames(page, 'private-plan.txt'), ['Preview', 'Download', 'Share', 'Rename', 'Move', 'Delete']);

    // Delete goes to the trash, and the trash gives it back.
    await page.getByRole('button', { name: 'Actions for private-plan.txt' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Delete' }).click();
    await page.getByRole('dialog', { name: 'Delete private-plan.txt?' }).getByRole('button', { name: 'Move to trash' }).click();
    await page.getByText('This folder is empty').waitFor();
    await nav.getByRole('link', { name: 'Trash', exact: true }).click();
    await page.getByRole('button', { name: 'Restore private-plan.txt' }).click();
    await page.getByText('The trash is empty.').waitFor();
    await nav.getByRole('link', { name: 'Private', exact: true }).click();
    await page.getByRole('link', { name: 'private-plan.txt', exact: true }).waitFor();
  } finally {
    await context.close();
  }
});

test('an admin sees the console and creates a user who then logs in', async () => {
  const { context, page } = await newPage(browser, LAPTOP);
  try {
    await uiLogin(page, base, 'admin', s.users.admin.password);
    const nav = page.getByRole('navigation', { name: 'Sections' });
    assert.deepEqual(await nav.getByRole('link').allInnerTexts(), ['Shared', 'Private', 'Hand-ins', 'Trash', 'Admin']);
    assert.deepEqual(await actionNames(page, 'adam-notes.txt'), ['Preview', 'Download', 'Share', 'Rename', 'Move', 'Delete']);
    await nav.getByRole('link', { name: 'Admin', exact: true }).click();
    const tabs = page.getByRole('navigation', { name: 'Administration sections' });
    assert.deepEqual(await tabs.getByRole('link').allInnerTexts(), ['Users', 'Storage', 'Activity log', 'Health', 'Device']);
    await page.locator('li[data-user="adam"]').waitFor();
    const form = page.getByRole('form', { name: 'Create a user' });
    await form.getByLabel('Name').fill('newbie');
    await form.getByLabel('Password').fill('newbie-pass-1');
    await form.getByLabel('Role').selectOption('user');
    await page.getByRole('button', { name: 'Create a user' }).click();
    await page.getByText('User newbie created.').waitFor();
    await page.locator('li[data-user="newbie"]').waitFor();

    await tabs.getByRole('link', { name: 'Activity log', exact: true }).click();
    await page.locator('td[data-action="user_create"]').first().waitFor();
    await page.getByLabel('Action').selectOption('login');
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.waitForFunction(() => {
      const cells = [...document.querySelectorAll('table.audit tbody td[data-action]')];
      return cells.length > 0 && cells.every((c) => c.getAttribute('data-action') === 'login' && c.textContent === 'Log in');
    });
    await tabs.getByRole('link', { name: 'Health', exact: true }).click();
    await page.getByRole('heading', { name: 'Device health' }).waitFor();

    await page.getByRole('link', { name: 'Account of admin', exact: true }).click();
    await page.getByRole('button', { name: 'Log out' }).click();
    await uiLogin(page, base, 'newbie', 'newbie-pass-1');
    await page.getByRole('heading', { name: 'Shared workspace', level: 1 }).waitFor();
  } finally {
    await context.close();
  }
});

test('an upload shows its progress, speed and time left; the download has the same bytes', async () => {
  const { context, page } = await newPage(browser, PHONE);
  try {
    await uiLogin(page, base, 'ulla', s.users.ulla.password);
    await page.getByRole('link', { name: 'welcome.txt', exact: true }).waitFor();
    // Throttle the upload so the progress can be seen (DevTools network emulation, ~1.5 MB/s).
    const cdp = await context.newCDPSession(page);
    await cdp.send('Network.enable');
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 5, downloadThroughput: -1, uploadThroughput: 1_500_000 });
    const body = crypto.randomBytes(6 * 1024 * 1024);
    await page.locator('#pick-files').setInputFiles(await fileOnDisk('field-video.bin', body));
    const row = page.locator('.upload', { hasText: 'field-video.bin' });
    await row.waitFor();
    // Mid-way: the bar moved, and the line says how fast and how long.
    await page.waitForFunction(
      () => {
        const bar = document.querySelector<HTMLProgressElement>('.upload progress');
        const line = document.querySelector('.upload .up-line')?.textContent ?? '';
        return !!bar && bar.value > 0 && bar.value < bar.max && /\/s/.test(line) && /left/.test(line);
      },
      undefined,
      { timeout: 15_000 },
    );
    await shoot(page, 'upload-progress');
    assert.ok(await row.getByRole('button', { name: 'Cancel upload of field-video.bin' }).isVisible());
    await row.locator('.up-line', { hasText: 'Done' }).waitFor({ timeout: 30_000 });
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
    await page.getByRole('link', { name: 'field-video.bin', exact: true }).waitFor();

    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download field-video.bin', exact: true }).click()]);
    assert.equal(download.suggestedFilename(), 'field-video.bin');
    const got = fs.readFileSync((await download.path())!);
    assert.equal(got.length, body.length);
    assert.equal(sha(got), sha(body));
  } finally {
    await context.close();
  }
});

test('two pupils upload the same name (phone, French): both files are kept, each under the name the UI showed', async () => {
  // A second pupil: ulla is the first.
  for (const u of ['eleve12', 'eleve13']) {
    const r = await api(base, s.adminToken, 'POST', '/api/admin/users', { username: u, password: `${u}-password`, role: 'user' });
    assert.equal(r.status, 201);
  }
  const shown: string[] = [];
  // The third pupil is on a laptop: the same result there.
  for (const [username, password, content, vp] of [
    ['ulla', s.users.ulla.password, 'ulla', PHONE],
    ['eleve12', 'eleve12-password', 'eleve12', PHONE],
    ['eleve13', 'eleve13-password', 'eleve13', LAPTOP],
  ] as const) {
    const { context, page } = await newPage(browser, vp, { locale: 'fr-FR' });
    try {
      await uiLogin(page, base, username, password);
      await page.locator('#pick-files').setInputFiles({ name: 'compte_rendu.pdf', mimeType: 'application/pdf', buffer: Buffer.from(`%PDF-1.4 ${content}`) });
      const line = page.locator('.upload', { hasText: 'compte_rendu.pdf' }).locator('.up-line');
      await line
        .filter({ hasText: 'Terminé' })
        .waitFor({ timeout: 20_000 })
        .catch(async (e) => {
          throw new Error(
            `${username}: ${await page
              .locator('.upload-list')
              .innerText()
              .catch(() => '?')} ${e}`,
          );
        });
      const text = await line.innerText();
      const m = /enregistré sous « (.+) »/.exec(text);
      shown.push(m ? m[1]! : 'compte_rendu.pdf');
      // No "Remplacer", no "Réessayer": the upload simply worked.
      assert.equal(await page.getByRole('button', { name: /Remplacer|Réessayer/ }).count(), 0);
      if (username !== 'ulla') {
        await page.getByRole('link', { name: shown[shown.length - 1]!, exact: true }).waitFor();
        await shoot(page, 'same-name-fr');
      }
    } finally {
      await context.close();
    }
  }
  assert.deepEqual(shown, ['compte_rendu.pdf', 'compte_rendu (eleve12).pdf', 'compte_rendu (eleve13).pdf']);
  for (const [name, content] of [
    [shown[0]!, 'ulla'],
    [shown[1]!, 'eleve12'],
    [shown[2]!, 'eleve13'],
  ]) {
    const got = await fetch(`${base}/api/fs/workspace/${encodeURIComponent(name!)}`, { headers: { authorization: `Bearer ${s.adminToken}` } });
    assert.equal(got.status, 200, name);
    assert.equal(await got.text(), `%PDF-1.4 ${content}`);
  }
});

test('a folder chosen with "Upload a folder" is uploaded with its subfolders', async () => {
  const { context, page } = await newPage(browser, LAPTOP);
  try {
    await uiLogin(page, base, 'ulla', s.users.ulla.password);
    await page.getByRole('link', { name: 'welcome.txt', exact: true }).waitFor();
    // webkitdirectory input: the files carry their relative paths.
    const dir = fs.mkdtempSync('/tmp/hcd-web-');
    fs.mkdirSync(`${dir}/Survey/day1`, { recursive: true });
    fs.writeFileSync(`${dir}/Survey/a.txt`, 'a');
    fs.writeFileSync(`${dir}/Survey/day1/b.txt`, 'bb');
    await page.locator('#pick-folder').setInputFiles(`${dir}/Survey`);
    await page.locator('.uploads-head', { hasText: '2 done' }).waitFor();
    await page.getByRole('link', { name: 'Survey', exact: true }).click();
    await page.getByRole('link', { name: 'a.txt', exact: true }).waitFor();
    await page.getByRole('link', { name: 'day1', exact: true }).click();
    await page.getByRole('link', { name: 'b.txt', exact: true }).waitFor();
    assert.deepEqual(await page.getByRole('navigation', { name: 'You are here' }).getByRole('listitem').allInnerTexts(), [
      'Shared workspace',
      'Survey',
      'day1',
    ]);
    fs.rmSync(dir, { recursive: true, force: true });
  } finally {
    await context.close();
  }
});

test('the language follows the browser, can be switched, and is remembered', async () => {
  const fr = await newPage(browser, PHONE, { locale: 'fr-FR' });
  try {
    await fr.page.goto(`${base}/`);
    await fr.page.getByRole('button', { name: 'Se connecter' }).waitFor();
    assert.equal(await fr.page.getAttribute('html', 'lang'), 'fr');
  } finally {
    await fr.context.close();
  }
  const { context, page } = await newPage(browser, PHONE, { locale: 'en-US' });
  try {
    await page.goto(`${base}/`);
    await page.getByLabel('Language').selectOption('fr');
    await page.getByRole('button', { name: 'Se connecter' }).waitFor();
    await uiLogin(page, base, 'ulla', s.users.ulla.password);
    await page.getByRole('heading', { name: 'Espace partagé', level: 1 }).waitFor();
    // Sizes and dates in the reader's locale: French writes "octets" and a decimal comma.
    await page
      .getByText(/27\s+octets/)
      .first()
      .waitFor();
    await page.reload();
    await page.getByRole('heading', { name: 'Espace partagé', level: 1 }).waitFor();
    await page.getByRole('link', { name: 'Compte de ulla', exact: true }).click();
    await page.getByRole('heading', { name: 'Mon compte' }).waitFor();
    await shoot(page, 'account-fr');
    await page.getByLabel('Langue').selectOption('en');
    await page.getByRole('heading', { name: 'My account' }).waitFor();
  } finally {
    await context.close();
  }
});

test('screenshots of every view, phone and laptop', async () => {
  for (const vp of [PHONE, LAPTOP]) {
    const { context, page } = await newPage(browser, vp);
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    try {
      await page.goto(`${base}/`);
      await page.getByRole('button', { name: 'Log in' }).waitFor();
      await shoot(page, 'login');
      await page.getByLabel('Name').fill('admin');
      await page.getByLabel('Password').fill('wrong-password');
      await page.getByRole('button', { name: 'Log in' }).click();
      await page.getByText('Wrong name or password.').waitFor();
      await shoot(page, 'login-error');
      await uiLogin(page, base, 'admin', s.users.admin.password);
      await page.getByRole('link', { name: 'welcome.txt', exact: true }).waitFor();
      await shoot(page, 'files');
      await page.getByRole('button', { name: 'Actions for adam-notes.txt' }).click();
      await shoot(page, 'actions');
      await page.keyboard.press('Escape');
      await page.getByRole('button', { name: 'New folder' }).click();
      await shoot(page, 'new-folder');
      await page.keyboard.press('Escape');
      await page.getByRole('link', { name: 'welcome.txt', exact: true }).click();
      await page.locator('.preview pre').waitFor();
      await shoot(page, 'preview-text');
      await page.keyboard.press('Escape');
      await page.getByRole('link', { name: 'Photos', exact: true }).click();
      // A photo opens in the full-screen viewer.
      await page.getByRole('link', { name: 'dot.png', exact: true }).click();
      await page.waitForFunction(() => (document.querySelector('.viewer-img') as HTMLImageElement | null)?.complete === true);
      await shoot(page, 'viewer-image');
      await page.keyboard.press('Escape');
      await shoot(page, 'folder');
      await page.goto(`${base}/trash`);
      await page.getByRole('heading', { name: 'Trash' }).waitFor();
      await page.getByRole('status').first().waitFor();
      await shoot(page, 'trash');
      await page.goto(`${base}/account`);
      await page.getByRole('heading', { name: 'Change password' }).waitFor();
      await shoot(page, 'account');
      for (const tab of ['users', 'storage', 'audit', 'health']) {
        await page.goto(`${base}/admin/${tab}`);
        await page.waitForFunction(() => !document.body.textContent?.includes('Loading…'));
        await page.waitForTimeout(200);
        await shoot(page, `admin-${tab}`);
        // Every admin section is in sight, on a 360 px phone too (in French, the longest labels).
        const outside = await page.locator('nav.subtabs a').evaluateAll((links) =>
          links
            .filter((a) => {
              const r = a.getBoundingClientRect();
              return r.left < 0 || r.right > window.innerWidth;
            })
            .map((a) => a.textContent),
        );
        assert.deepEqual(outside, [], `${tab}: admin tabs off screen`);
      }
      assert.deepEqual(errors, []);
    } finally {
      await context.close();
    }
  }
});
