// Step 86: the release bundle signed for "install an update from the browser" (.hcdb, provisioning/update/bundle-file.ts),
// when HCD_BUNDLE_KEY names the project's Ed25519 private key; without it the bundle stays unsigned (the tar.xz only).
import { existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { checkPayloadEntries, keyFingerprint, publicKeyPemFromPrivate, verifyBundle, writeBundle } from '../../provisioning/update/bundle-file.js';
import { REPO } from '../config.js';
import { bundleArchive, bundleVersion, signedBundle, stagedApp } from '../lib/artifacts.js';
import { progress, type ImageStep } from '../lib/step.js';

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
    // The version 20-bundle wrote into the archive (app/VERSION): the manifest and the daemon's /api/health agree.
    const staged = path.join(stagedApp(ctx), 'VERSION');
    const version = existsSync(staged) ? readFileSync(staged, 'utf8').trim() : await bundleVersion();
    await writeBundle({ payloadFile: bundleArchive(ctx), outFile: out, version, privateKeyPem, nodeVersion: ctx.lock.node.version });
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
