// Step 30: the staged bundle installed at /opt/homedrive in the root, then smoke-tested with the root's own libraries.
// With HCD_BUNDLE_KEY set, the public half of the bundle signing key is written to UPDATE_KEY_FILE.
import { cpSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { APP_DIR, NODE_BIN, UPDATE_KEY_FILE } from '../../provisioning/contract.js';
import { keyFingerprint, publicKeyPemFromPrivate } from '../../provisioning/update/bundle-file.js';
import { inRoot, withChrootMounts } from '../lib/chroot.js';
import { progress, quiet, type ImageStep } from '../lib/step.js';

export const step: ImageStep = {
  id: '30-app',
  title: 'Node.js and the daemon in /opt/homedrive',
  async run(ctx) {
    // A tree of thousands of files, binaries among them (node, the arm64 addon): copied whole, like pi-gen's
    // `cp -a`, into the place the Target resolves inside the root.
    await ctx.target.remove(APP_DIR, { recursive: true });
    const dest = await ctx.target.resolve(APP_DIR);
    cpSync(path.join(ctx.paths.bundleDir, APP_DIR), dest, { recursive: true, verbatimSymlinks: true });
    // root-owned and not writable by the daemon's user: ProtectSystem=strict also enforces it at run time.
    await quiet`chown -R 0:0 ${dest}`;
    await quiet`chmod -R u=rwX,go=rX ${dest}`;
    await quiet`chmod 0755 ${await ctx.target.resolve(NODE_BIN)}`;
    ctx.target.record({ kind: 'created', subject: `${APP_DIR}/`, detail: 'the staged bundle, root:root u=rwX,go=rX' });
    // The arm64 node and better-sqlite3 must load against the root's glibc and libstdc++, not the build machine's.
    const out = await withChrootMounts(ctx.paths.root, () =>
      inRoot(ctx.paths.root, [
        NODE_BIN,
        '-e',
        `const D=require('${APP_DIR}/app/node_modules/better-sqlite3');const d=new D(':memory:');console.log(process.version,process.arch,'sqlite',d.prepare('select sqlite_version() v').get().v)`,
      ]),
    );
    progress(ctx, `smoke test in the root: ${out.stdout.trim()}`);
    // Updates from the console install only bundles signed by HCD_BUNDLE_KEY (86-bundle-sign): its public half.
    const keyFile = process.env.HCD_BUNDLE_KEY;
    if (keyFile) {
      const publicKeyPem = publicKeyPemFromPrivate(readFileSync(keyFile, 'utf8'));
      await ctx.target.writeFile(UPDATE_KEY_FILE, publicKeyPem, { mode: 0o644 });
      progress(ctx, `${UPDATE_KEY_FILE}: bundles signed by key sha256:${keyFingerprint(publicKeyPem).slice(0, 16)} can be installed from the console`);
    } else {
      progress(ctx, `HCD_BUNDLE_KEY is not set: no ${UPDATE_KEY_FILE}, this image installs no update from the console`);
    }
  },
};
