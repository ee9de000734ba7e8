// Photos at a glance (issue 13 item 5), in Debian's Chromium against a real daemon: pupils on phones
// (French) upload photos; the folder opens as a grid of thumbnails made by the uploader's browser
// (bytes far smaller than the photos, never the photos themselves), newest first; the full-screen
// viewer swipes; the grid filters by uploader; the zip can put each uploader in a folder.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import { api, dispose } from '../helpers/server.js';
import { fileOnDisk, LAPTOP, launch, newPage, PHONE, seededDaemon, shoot, uiLogin, type Seeded } from './browser.js';

let s: Seeded;
let browser: Browser;
let base: string;

before(async () => {
  s = await seededDaemon();
  base = s.daemon.base;
  browser = await launch();
  for (const u of ['lea', 'tom']) {
    const r = await api(base, s.adminToken, 'POST', '/api/admin/users', { username: u, password: `${u}-password-1`, role: 'user' });
    assert.equal(r.status, 201);
  }
});
after(async () => {
  await browser?.close();
  await dispose(s?.daemon);
});

/** A 4000×3000 "photo" (shapes and noise, JPEG quality 0.92), drawn by the browser: several MB, like a phone's. */
// A string, not a function: tsx would wrap a function's inner names in a helper the page lacks.
const PHOTO_SCRIPT = `async (seed) => {
  let x = seed * 9301 + 49297;
  const rnd = () => (x = (x * 9301 + 49297) % 233280) / 233280;
  const c = document.createElement('canvas');
  c.width = 4000;
  c.height = 3000;
  const g = c.getContext('2d');
  const grad = g.createLinearGradient(0, 0, 4000, 3000);
  grad.addColorStop(0, 'hsl(' + seed * 67 + ', 70%, 60%)');
  grad.addColorStop(1, 'hsl(' + (seed * 67 + 120) + ', 60%, 30%)');
  g.fillStyle = grad;
  g.fillRect(0, 0, 4000, 3000);
  for (let i = 0; i < 400; i++) {
    g.fillStyle = 'hsla(' + rnd() * 360 + ', 70%, ' + (30 + rnd() * 50) + '%, 0.6)';
    g.beginPath();
    g.arc(rnd() * 4000, rnd() * 3000, 20 + rnd() * 300, 0, Math.PI * 2);
    g.fill();
  }
  // Grain, as a camera has: it is what makes a photo weigh megabytes.
  const img = g.getImageData(0, 0, 4000, 3000);
  for (let i = 0; i < img.data.length; i += 4) {
    const n = (rnd() - 0.5) * 40;
    img.data[i] += n;
    img.data[i + 1] += n;
    img.data[i + 2] += n;
  }
  g.putImageData(img, 0, 0);
  g.fillStyle = '#fff';
  g.font = 'bold 600px sans-serif';
  g.fillText(String(seed), 200, 800);
  const blob = await new Promise((r) => c.toBlob(r, 'image/jpeg', 0.92));
  const bytes = new Uint8Array(await blob.arrayBuffer());
  let bin = '';
  for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(bin);
}`;

/** A 4000×3000 "photo" (shapes and grain, JPEG quality 0.92), drawn by the browser: megabytes, like a phone's. */
async function makePhoto(page: Page, seed: number): Promise<Buffer> {
  const b64 = (await page.evaluate(`(${PHOTO_SCRIPT})(${seed})`)) as string;
  return Buffer.from(b64, 'base64');
}

test('a pupil uploads photos from a phone (French): a grid of thumbnails far smaller than the photos, newest first, a swiping viewer', async () => {
  const { context, page } = await newPage(browser, { width: 390, height: 844 }, { locale: 'fr-FR' });
  try {
    await uiLogin(page, base, 'lea', 'lea-password-1');
    await page.getByRole('button', { name: 'Nouveau dossier' }).click();
    await page.getByLabel('Nom du dossier').fill('Sortie');
    await page.getByRole('button', { name: 'Créer' }).click();
    await page.getByRole('link', { name: 'Sortie', exact: true }).click();
    await page.getByRole('heading', { name: 'Sortie' }).waitFor();

    const photos: Buffer[] = [];
    for (let i = 1; i <= 5; i++) photos.push(await makePhoto(page, i));
    // Paths, not buffers: five photos of megabytes each sent base64 through DevTools outlasted the 10 s action timeout on CI.
    const files: string[] = [];
    for (const [i, buffer] of photos.entries()) files.push(await fileOnDisk(`IMG_000${i + 1}.jpg`, buffer));
    // What the grid downloads: thumbnails only.
    const fetched: { url: string; bytes: number }[] = [];
    page.on('response', async (r) => {
      if (!r.url().includes('/api/fs/workspace/Sortie/IMG_')) return;
      const body = await r.body().catch(() => Buffer.alloc(0));
      fetched.push({ url: r.url(), bytes: body.length });
    });
    await page.locator('#pick-files').setInputFiles(files);
    await page.locator('.upload .up-line', { hasText: 'Terminé' }).nth(4).waitFor({ timeout: 60_000 });

    // Five photos: the folder shows as a grid, newest first, each with its thumbnail.
    const tiles = page.locator('.entries.grid .tile');
    await page.waitForFunction(() => document.querySelectorAll('.entries.grid .tile-pic.has-thumb').length === 5, null, { timeout: 20_000 });
    assert.equal(await tiles.count(), 5);
    assert.equal(await page.locator('#sort').inputValue(), 'mtime');
    assert.equal(await page.locator('.field.sort [aria-pressed]').getAttribute('aria-pressed'), 'true', 'descending: newest first');
    await page.waitForTimeout(300);
    const thumbs = fetched.filter((f) => f.url.includes('thumb=1') && f.bytes > 0);
    assert.ok(thumbs.length >= 5, JSON.stringify(fetched));
    const smallest = Math.min(...photos.map((p) => p.length));
    for (const th of thumbs) assert.ok(th.bytes * 20 < smallest, `a ${th.bytes}-byte thumbnail for photos of ${smallest}+ bytes`);
    assert.deepEqual(
      fetched.filter((f) => !f.url.includes('thumb=1')),
      [],
      'the grid never downloads a photo itself',
    );
    // What making them cost the phone (the Pi spent nothing but storing ~30 KB each).
    const costs = (await page.evaluate(
      `performance.getEntriesByName('hcd-thumbnail').map((m) => ({ ms: Math.round(m.duration), bytes: m.detail.bytes, thumb: m.detail.thumb }))`,
    )) as { ms: number; bytes: number; thumb: number }[];
    assert.equal(costs.length, 5);
    console.log(`# thumbnails made in the browser: ${JSON.stringify(costs)}`);
    await page.getByRole('button', { name: 'Masquer' }).click();
    await page.locator('.filterbar').scrollIntoViewIfNeeded();
    await shoot(page, 'photo-grid-fr');

    // The viewer: full screen, the photo itself, swipe left for the next, Escape to close.
    await tiles.first().locator('.tile-open').click();
    const viewer = page.getByRole('dialog', { name: 'Photos' });
    await viewer.waitFor();
    await viewer.getByText('1 sur 5').waitFor();
    const img = viewer.locator('.viewer-img');
    await page.waitForFunction(() => (document.querySelector('.viewer-img') as HTMLImageElement | null)?.complete === true);
    const first = await img.getAttribute('src');
    assert.ok(first && !first.includes('thumb=1'), 'the viewer shows the photo itself');
    await shoot(page, 'photo-viewer-fr');
    const box = (await viewer.locator('.viewer-stage').boundingBox())!;
    const y = box.y + box.height / 2;
    await page.mouse.move(box.x + box.width * 0.8, y);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.2, y, { steps: 5 });
    await page.mouse.up();
    await viewer.getByText('2 sur 5').waitFor();
    assert.notEqual(await img.getAttribute('src'), first);
    await page.keyboard.press('ArrowLeft');
    await viewer.getByText('1 sur 5').waitFor();
    await page.keyboard.press('Escape');
    await viewer.waitFor({ state: 'detached' });
  } finally {
    await context.close();
  }
});

test('the grid filters by uploader, and the zip can put each uploader in a folder (laptop)', async () => {
  // Tom adds a photo of his own to the same folder (with a thumbnail his browser would have made).
  const tomToken = (await api(base, '', 'POST', '/api/auth/login', { username: 'tom', password: 'tom-password-1' })).json.token as string;
  const put = await fetch(`${base}/api/fs/workspace/Sortie/tom.png`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${tomToken}` },
    body: new Uint8Array(Buffer.from('89504e470d0a1a0a', 'hex')),
  });
  assert.equal(put.status, 201);
  const { context, page } = await newPage(browser, LAPTOP, { locale: 'fr-FR' });
  try {
    await uiLogin(page, base, 'admin', s.users.admin.password);
    await page.goto(`${base}/files/workspace/Sortie`);
    await page.locator('.entries.grid .tile').nth(5).waitFor();
    const owner = page.getByLabel('Envoyé par');
    await owner.selectOption('tom');
    await page.waitForFunction(() => document.querySelectorAll('.entries.grid .tile').length === 1);
    assert.equal(await page.locator('.tile-name').innerText(), 'tom.png');
    // tom.png has no thumbnail: its tile keeps the picture icon.
    assert.equal(await page.locator('.tile-pic.has-thumb').count(), 0);
    await owner.selectOption('lea');
    await page.waitForFunction(() => document.querySelectorAll('.entries.grid .tile').length === 5);
    await owner.selectOption('');
    await page.getByRole('button', { name: 'Liste' }).click();
    await page.locator('.entries:not(.grid) .entry').nth(5).waitFor();
    await page.getByRole('button', { name: 'Grille d’images' }).click();
    await page.locator('.entries.grid .tile').nth(5).waitFor();
    await shoot(page, 'photo-grid-fr');

    await page.getByRole('button', { name: 'Télécharger (zip)' }).click();
    const dialog = page.getByRole('dialog', { name: 'Télécharger « Sortie » en zip' });
    await dialog.waitFor();
    const byOwner = dialog.getByRole('link', { name: /Un dossier par personne/ });
    assert.match((await byOwner.getAttribute('href'))!, /format=zip&by=owner$/);
    const [download] = await Promise.all([page.waitForEvent('download'), byOwner.click()]);
    const zip = await download.createReadStream().then(
      (st) =>
        new Promise<Buffer>((resolve, reject) => {
          const parts: Buffer[] = [];
          st.on('data', (d: Buffer) => parts.push(d));
          st.on('end', () => resolve(Buffer.concat(parts)));
          st.on('error', reject);
        }),
    );
    const text = zip.toString('latin1');
    for (let i = 1; i <= 5; i++) assert.ok(text.includes(`lea/IMG_000${i}.jpg`), `lea/IMG_000${i}.jpg in the zip`);
    assert.ok(text.includes('tom/tom.png'));
  } finally {
    await context.close();
  }
});
