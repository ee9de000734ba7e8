// Unit tests of login throttling and the journald-friendly log format.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LoginThrottle } from '../../../daemon/src/services/throttle.js';
import { createLogger } from '../../../daemon/src/log.js';

test('throttle: free failures, then doubling delays, reset on success', () => {
  let t = 0;
  const th = new LoginThrottle(() => t, { freeFailures: 3, baseDelayMs: 1000, maxDelayMs: 4000, windowMs: 60_000 });
  const k = ['a'];
  th.fail('a');
  th.fail('a');
  assert.equal(th.retryAfterMs(k), 0);
  th.fail('a');
  assert.equal(th.retryAfterMs(k), 1000);
  t += 1000;
  assert.equal(th.retryAfterMs(k), 0);
  th.fail('a');
  assert.equal(th.retryAfterMs(k), 2000);
  th.fail('a');
  th.fail('a');
  assert.equal(th.retryAfterMs(k), 4000, 'capped');
  th.succeed('a');
  assert.equal(th.retryAfterMs(k), 0);
  th.fail('b');
  t += 120_000; // outside the window: counting starts over
  th.fail('b');
  th.fail('b');
  assert.equal(th.retryAfterMs(['b']), 0);
});

test('log lines: priority prefix for journald, timestamp for terminals, logfmt fields', () => {
  const lines: string[] = [];
  const j = createLogger({ journal: true, write: (l) => lines.push(l) });
  j.warn('storage missing', { dataDir: '/srv/home drive', n: 3 });
  j.debug('hidden');
  assert.deepEqual(lines, ['<4>storage missing dataDir="/srv/home drive" n=3']);
  const t = createLogger({ journal: false, level: 'debug', write: (l) => lines.push(l) });
  t.child({ req: 7 }).debug('x');
  assert.match(lines[1]!, /^\d{4}-\d\d-\d\dT.*Z DEBUG x req=7$/);
});
