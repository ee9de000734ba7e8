// Unit tests of name validation, URL path decoding and containment.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeUrlPath, isInside, parsePathString, validateName } from '../../../daemon/src/storage/paths.js';
import { HttpError } from '../../../daemon/src/errors.js';

const code = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof HttpError, `expected HttpError, got ${e}`);
    return `${e.status} ${e.code}`;
  }
  return 'ok';
};

test('names with spaces, accents and emoji are accepted', () => {
  assert.equal(validateName('déjà vu 😀.txt'), 'déjà vu 😀.txt');
  assert.equal(validateName('.hidden'), '.hidden');
});

test('dot segments, separators, NUL and control characters are refused', () => {
  for (const bad of ['', '.', '..', 'a/b', 'a\\b', '..\\x', 'a\0b', 'a\nb', 'tab\there', 'del\u007f']) {
    assert.equal(
      code(() => validateName(bad)),
      '400 invalid_path',
      JSON.stringify(bad),
    );
  }
});

test('over-long names and paths are refused', () => {
  assert.equal(
    code(() => validateName('a'.repeat(256))),
    '400 name_too_long',
  );
  assert.equal(validateName('a'.repeat(255)).length, 255);
  // 255 bytes is the limit, not 255 characters: 64 four-byte emoji are 256 bytes.
  assert.equal(
    code(() => validateName('😀'.repeat(64))),
    '400 name_too_long',
  );
  assert.equal(
    code(() => decodeUrlPath(Array(20).fill('b'.repeat(250)).join('/'))),
    '400 name_too_long',
  );
});

test('NFD input is normalised to NFC', () => {
  const nfd = 'e\u0301te\u0301.txt';
  assert.equal(validateName(nfd), 'été.txt'.normalize('NFC'));
  assert.deepEqual(decodeUrlPath(encodeURIComponent(nfd)), ['été.txt'.normalize('NFC')]);
});

test('URL paths are decoded segment by segment; encoded separators and traversal are refused', () => {
  assert.deepEqual(decodeUrlPath('workspace/a%20b/c%C3%A9'), ['workspace', 'a b', 'cé']);
  assert.deepEqual(decodeUrlPath('workspace/'), ['workspace']);
  assert.deepEqual(decodeUrlPath(''), []);
  for (const bad of ['workspace/%2e%2e/x', 'workspace/a%2fb', 'workspace/a%5cb', 'workspace/%00', 'workspace//x', 'workspace/%E0%A4%A', 'workspace/..']) {
    assert.match(
      code(() => decodeUrlPath(bad)),
      /^400 /,
      bad,
    );
  }
});

test('JSON path strings accept leading and trailing slashes only', () => {
  assert.deepEqual(parsePathString('/a/b/'), ['a', 'b']);
  assert.deepEqual(parsePathString('a'), ['a']);
  assert.equal(
    code(() => parsePathString('/a//b')),
    '400 invalid_path',
  );
  assert.equal(
    code(() => parsePathString('/a/../b')),
    '400 invalid_path',
  );
  assert.equal(
    code(() => parsePathString(42)),
    '400 invalid_path',
  );
});

test('containment uses path.relative, not a prefix test', () => {
  assert.equal(isInside('/srv/data', '/srv/data/x'), true);
  assert.equal(isInside('/srv/data', '/srv/data'), true);
  assert.equal(isInside('/srv/data', '/srv/data-old/x'), false);
  assert.equal(isInside('/srv/data', '/srv'), false);
  assert.equal(isInside('/srv/data', '/srv/data/..x'), true);
});
