// Unit tests of Range header parsing (RFC 9110).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseRange } from '../../../daemon/src/storage/ranges.js';

test('single ranges, open and suffix ranges', () => {
  assert.deepEqual(parseRange('bytes=0-9', 100), { kind: 'range', start: 0, end: 9 });
  assert.deepEqual(parseRange('bytes=90-', 100), { kind: 'range', start: 90, end: 99 });
  assert.deepEqual(parseRange('bytes=-10', 100), { kind: 'range', start: 90, end: 99 });
  assert.deepEqual(parseRange('bytes=-1000', 100), { kind: 'range', start: 0, end: 99 });
  assert.deepEqual(parseRange('bytes=50-1000', 100), { kind: 'range', start: 50, end: 99 });
});

test('unsatisfiable ranges', () => {
  assert.deepEqual(parseRange('bytes=100-', 100), { kind: 'unsatisfiable' });
  assert.deepEqual(parseRange('bytes=-0', 100), { kind: 'unsatisfiable' });
  assert.deepEqual(parseRange('bytes=0-0', 0), { kind: 'unsatisfiable' });
});

test('absent, malformed, other units and multiple ranges fall back to the whole file', () => {
  for (const h of [undefined, '', 'items=0-1', 'bytes=abc', 'bytes=5-1', 'bytes=0-1,5-6', 'bytes=-']) {
    assert.deepEqual(parseRange(h, 100), { kind: 'none' }, String(h));
  }
});
