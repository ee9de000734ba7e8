// `make bench` in its quick mode: every workload runs against both servers with zero failed requests.
// Figures are only reported (never asserted): timing belongs to the benchmark, not the tests.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { ROOT } from '../helpers/server.js';

test('bench --quick runs every workload on the daemon and on nginx without errors', (t) => {
  const out = execFileSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'scripts/bench/run.ts'), '--quick'], {
    cwd: ROOT,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 300_000,
  });
  t.diagnostic(out);
  const rows = out.split('\n').filter((l) => /^\| (?!workload|---)/.test(l));
  assert.equal(rows.length, 9, out);
  for (const row of rows) {
    const cells = row.split('|').map((c) => c.trim());
    assert.equal(cells.at(-2), '0/0', `failed requests in: ${row}`);
    assert.ok(Number(cells[3]) > 0 && Number(cells[4]) > 0, `no figure in: ${row}`);
  }
});
