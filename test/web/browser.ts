// Browser-test helpers: Debian's Chromium through playwright-core, a seeded real daemon, screenshots.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { api, login, ROOT, startDaemon, type Daemon } from '../helpers/server.js';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const SHOTS = path.join(ROOT, 'test-results/screenshots');
export const PHONE = { width: 360, height: 740 };
export const LAPTOP = { width: 1280, height: 800 };

/** Flags that keep Chromium quiet and local: no sync, updates, QUIC or background fetches. */
const ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

export async function launch(extraArgs: string[] = []): Promise<Browser> {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install chromium (bash .ci/run does)`);
  // Each launch gets a fresh temporary user-data-dir from Playwright.
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: [...ARGS, ...extraArgs] });
}

export async function newPage(browser: Browser, viewport = PHONE, opts: { locale?: string } = {}): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({
    viewport,
    locale: opts.locale ?? 'en-GB',
    acceptDownloads: true,
    deviceScaleFactor: 1,
    hasTouch: viewport.width < 700,
    isMobile: false,
  });
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  return { context, page };
}

export async function shoot(page: Page, name: string): Promise<string> {
  fs.mkdirSync(SHOTS, { recursive: true });
  const vp = page.viewportSize();
  const file = path.join(SHOTS, `${name}-${vp && vp.width < 700 ? 'phone' : 'laptop'}.png`);
  // Let fonts, images and layout settle; animations are none.
  await page.waitForTimeout(150);
  await page.screenshot({ path: file, fullPage: false });
  return file;
}

export interface Seeded {
  daemon: Daemon;
  adminToken: string;
  users: Record<'admin' | 'ulla' | 'adam', { username: string; password: string }>;
}

/** A real daemon with an admin, a normal user and an advanced one, and a few files. */
export async function seededDaemon(env: Record<string, string> = {}): Promise<Seeded> {
  const daemon = await startDaemon({ env });
  const printed = daemon.adminPassword;
  if (!printed) throw new Error(`no bootstrap admin password in:\n${daemon.output()}`);
  // The administrator has already replaced the password printed at the first start (the UI asks for
  // that at the first login: tested on its own in ui.test.ts).
  const adminPassword = 'admin-own-password-1';
  const changed = await api(daemon.base, await login(daemon.base, 'admin', printed), 'POST', '/api/auth/password', {
    currentPassword: printed,
    newPassword: adminPassword,
  });
  if (changed.status !== 200) throw new Error(`changing the first password: ${changed.status} ${JSON.stringify(changed.json)}`);
  const adminToken: string = changed.json.token;
  const users = {
    admin: { username: 'admin', password: adminPassword },
    ulla: { username: 'ulla', password: 'ulla-password-1' },
    adam: { username: 'adam', password: 'adam-password-1' },
  };
  for (const [u, role] of [
    ['ulla', 'user'],
    ['adam', 'advanced'],
  ] as const) {
    const r = await api(daemon.base, adminToken, 'POST', '/api/admin/users', { username: u, password: users[u].password, role });
    if (r.status !== 201) throw new Error(`creating ${u}: ${r.status} ${JSON.stringify(r.json)}`);
  }
  const adamToken = await login(daemon.base, 'adam', users.adam.password);
  const put = async (token: string, p: string, body: Buffer | string) => {
    const res = await fetch(`${daemon.base}/api/fs/${p}`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${token}` },
      body: typeof body === 'string' ? body : new Uint8Array(body),
    });
    if (res.status !== 201) throw new Error(`PUT ${p}: ${res.status} ${await res.text()}`);
  };
  await put(adamToken, 'workspace/adam-notes.txt', 'Notes from Adam.\nLine two.\n');
  await put(adminToken, 'workspace/welcome.txt', 'Welcome to the drive!\n');
  await put(adminToken, 'workspace/Photos/dot.png', PNG);
  await put(adminToken, 'workspace/Reports/summary.csv', 'site,count\nnorth,12\nsouth,7\n');
  await put(adamToken, 'home/private-plan.txt', 'Only for Adam.\n');
  return { daemon, adminToken, users };
}

/** A 96×64 PNG with a gradient, built here (valid chunks and CRCs) so no binary fixture is needed. */
export const PNG = makePng(96, 64);

function makePng(w: number, h: number): Buffer {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc32 = (b: Buffer) => {
    let c = 0xffffffff;
    for (const x of b) c = crcTable[(c ^ x) & 0xff]! ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type: string, data: Buffer) => {
    const td = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const out = Buffer.alloc(12 + data.length);
    out.writeUInt32BE(data.length, 0);
    td.copy(out, 4);
    out.writeUInt32BE(crc32(td), 8 + data.length);
    return out;
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // truecolour
  const raw = Buffer.alloc((w * 3 + 1) * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const o = y * (w * 3 + 1) + 1 + x * 3;
      raw[o] = 30 + x * 2;
      raw[o + 1] = 80 + y * 2;
      raw[o + 2] = 200;
    }
  }
  return Buffer.concat([
    Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]),
    chunk('IHDR', ihdr),
    chunk('IDAT', zlib.deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

export async function uiLogin(page: Page, base: string, username: string, password: string): Promise<void> {
  await page.goto(`${base}/`);
  await page.getByLabel(/^(Name|Nom)$/).fill(username);
  await page.getByLabel(/^(Password|Mot de passe)$/).fill(password);
  await page.getByRole('button', { name: /^(Log in|Se connecter)$/ }).click();
  await page.getByRole('navigation', { name: /Sections|Rubriques/ }).waitFor();
}

/** A file on disk with `body` for `setInputFiles(path)`. Chromium reads a path itself; a buffer of
 *  several MiB goes base64 through the DevTools protocol instead, and on a loaded CI machine that
 *  outlasted the 10 s action timeout (stop 22's CI: 20 MiB). */
export async function fileOnDisk(name: string, body: Buffer): Promise<string> {
  const dir = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'hcd-upload-'));
  const file = path.join(dir, name);
  await fs.promises.writeFile(file, body);
  return file;
}
