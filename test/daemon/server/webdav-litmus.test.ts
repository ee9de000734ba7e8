// litmus, the WebDAV server test suite (Debian package `litmus`), against the real daemon's /dav/: the
// basic, copymove, props and locks groups must pass with no failure; its warnings are printed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startDaemon } from '../../helpers/server.js';

const GROUPS = ['basic', 'copymove', 'props', 'locks'];

/** litmus on PATH: installed here when missing and we are root (CI), else the test fails saying so. */
function requireLitmus(): void {
  const has = () => {
    try {
      execFileSync('sh', ['-c', 'command -v litmus'], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  };
  if (has()) return;
  if (process.getuid?.() !== 0) throw new Error('litmus is not installed: apt-get install litmus (or run the tests as root)');
  execFileSync('sh', ['-c', 'apt-get update && apt-get install -y --no-install-recommends litmus'], { stdio: 'inherit' });
}

test('litmus: basic, copymove, props and locks pass against /dav/', { timeout: 180_000 }, async (t) => {
  requireLitmus();
  const d = await startDaemon();
  t.after(async () => {
    await d.stop();
    fs.rmSync(d.dir, { recursive: true, force: true });
  });
  const auth = { Authorization: `Basic ${Buffer.from(`admin:${d.adminPassword}`).toString('base64')}` };
  // litmus works in a "litmus/" collection it makes inside the URL it is given, which must exist.
  const mk = await fetch(`${d.base}/dav/workspace/litmus/`, { method: 'MKCOL', headers: auth });
  assert.equal(mk.status, 201);
  const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'hcd-litmus-')); // litmus writes debug.log here
  t.after(() => fs.rmSync(cwd, { recursive: true, force: true }));
  const out = await new Promise<string>((resolve) => {
    execFile(
      'litmus',
      ['--keep-going', `${d.base}/dav/workspace/litmus/`, 'admin', d.adminPassword!],
      { cwd, env: { ...process.env, TESTS: GROUPS.join(' ') }, maxBuffer: 16 * 1024 * 1024 },
      (_err, stdout, stderr) => resolve(stdout + stderr),
    );
  });
  const summaries = new Map<string, { run: number; passed: number; failed: number }>();
  for (const m of out.matchAll(/<- summary for `(\w+)': of (\d+) tests run: (\d+) passed, (\d+) failed/g)) {
    summaries.set(m[1]!, { run: Number(m[2]), passed: Number(m[3]), failed: Number(m[4]) });
  }
  const warnings = out.split('\n').filter((l) => /WARNING/.test(l));
  console.log(`litmus warnings (${warnings.length}):${warnings.map((w) => `\n  ${w.trim()}`).join('')}`);
  const failures = out.split('\n').filter((l) => /\bFAIL\b/.test(l));
  for (const g of GROUPS) {
    const s = summaries.get(g);
    assert.ok(s, `litmus group ${g} did not run:\n${out}`);
    assert.equal(s.failed, 0, `litmus ${g}: ${s.failed} of ${s.run} failed:\n${failures.join('\n')}`);
    assert.ok(s.run > 10, `litmus ${g} ran only ${s.run} tests`);
  }
});
