// `make bench` in its quick mode: every workload runs against the three servers with zero failed requests.
// Figures are only reported (never asserted): timing belongs to the benchmark, not the tests.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { ROOT } from '../helpers/server.js';

function bench(args: string[]): string {
  return execFileSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'scripts/bench/run.ts'), ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 300_000,
  });
}

/** The class workload's table: its three phases and the whole, each with zero errors (the last column). */
function checkClassTable(out: string): void {
  const rows = out
    .slice(out.indexOf('Class workload:'))
    .split('\n')
    .filter((l) => /^\| (?!class phase|---)/.test(l));
  assert.deepEqual(
    rows.map((r) => r.split('|')[1]!.trim().replace(/ \(.*/, '')),
    ['login burst', 'uploads and listing', 'slow phones', 'whole workload'],
    out,
  );
  for (const row of rows) assert.equal(row.split('|').at(-2)!.trim(), '0', `errors in: ${row}`);
}

/** The transfer table: every workload, each with a figure for the three servers and no failed request. */
function checkTransferTable(out: string): void {
  const main = out.slice(0, out.indexOf('Class workload:'));
  const rows = main.split('\n').filter((l) => /^\| (?!workload|---)/.test(l));
  assert.equal(rows.length, 10, out);
  assert.match(main, /\| 16 KiB files up over WebDAV \(curl\), 8 clients \|/, out);
  for (const row of rows) {
    const cells = row.split('|').map((c) => c.trim());
    assert.equal(cells.at(-2), '0/0/0', `failed requests in: ${row}`);
    // hcd, nginx, py
    assert.ok(Number(cells[3]) > 0 && Number(cells[4]) > 0 && Number(cells[7]) > 0, `no figure in: ${row}`);
  }
}

test('bench --quick runs every workload on the daemon, nginx and the Python server without errors', (t) => {
  const out = bench(['--quick']);
  t.diagnostic(out);
  assert.doesNotMatch(out, /capped at/, out);
  checkTransferTable(out);
  checkClassTable(out);
});

test('bench --quick --pi runs every workload with each server in a capped cgroup, without errors', (t) => {
  const out = bench(['--quick', '--pi']);
  t.diagnostic(out);
  // The transfers' header says every server was capped; the class workload's, the daemon.
  assert.match(out.slice(0, out.indexOf('Class workload:')), /Every server \(all its processes and threads\) capped at 0\.67 of one core \(cgroup v[12] /, out);
  assert.match(out.slice(out.indexOf('Class workload:')), /The daemon \(all its threads\) capped at 0\.67 of one core \(cgroup v[12] /, out);
  checkTransferTable(out);
  checkClassTable(out);
});
