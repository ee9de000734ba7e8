// Step 86: the release bundle signed for "install an update from the browser" (.hcdb, provisioning/update/bundle-file.ts),
// when HCD_BUNDLE_KEY names the project's Ed25519 private key; without it the bundle stays unsigned (the tar.xz only).
import { readFileSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { checkPayloadEntries, keyFingerprint, publicKeyPemFromPrivate, verifyBundle, writeBundle } from '../../provisioning/update/bundle-file.js';
import { REPO } from '../config.js';
import { appVersion, bundleArchive, signedBundle } from '../lib/artifacts.js';
import { progress, quiet, type ImageStep } from '../lib/step.js';

/**
 * package.json's version plus the commit it was built from ("0.1.0+fb6b5f8"; ".dirty" when tracked files differ from
 * it), so two builds of one version are told apart on the Pi. Only the version when there is no git checkout.
 */
async function bundleVersion(): Promise<string> {
  try {
    const commit = (await quiet`git -C ${REPO} rev-parse --short HEAD`).stdout.trim();
    const dirty = (await quiet`git -C ${REPO} status --porcelain --untracked-files=no`).stdout.trim() !== '';
    return `${appVersion()}+${commit}${dirty ? '.dirty' : ''}`;
  } catch {
    return appVersion();
  }
}

export const step: ImageStep = {
  id: '86-bundle-sign',
  title: 'signed update bundle (.hcdb)',
  async run(ctx) {
    const out = signedBundle(ctx);
    // A .hcdb from an earlier build would wrap an older archive: never leave one beside a new tar.xz.
    rmSync(out, { force: true });
    const keyFile = process.env.HCD_BUNDLE_KEY;
    if (!keyFile) {
      progress(ctx, `HCD_BUNDLE_KEY is not set: the bundle is unsigned (no ${path.basename(out)}; image/README.md says how to sign)`);
      return;
    }
    const privateKeyPem = readFileSync(keyFile, 'utf8');
    const publicKeyPem = publicKeyPemFromPrivate(privateKeyPem);
    await writeBundle({ payloadFile: bundleArchive(ctx), outFile: out, version: await bundleVersion(), privateKeyPem, nodeVersion: ctx.lock.node.version });
    // The same checks the Pi makes, so a bundle it would refuse never leaves the build.
    const { manifest, payloadOffset } = await verifyBundle(out, publicKeyPem);
    const { entries, bytes } = await checkPayloadEntries(out, payloadOffset);
    progress(
      ctx,
      `${path.basename(out)} ${(statSync(out).size / 1e6).toFixed(1)} MB, version ${manifest.version}, ${entries} entries (${(bytes / 1e6).toFixed(0)} MB unpacked), ` +
        `signed by key sha256:${keyFingerprint(publicKeyPem).slice(0, 16)}`,
    );
  },
};
