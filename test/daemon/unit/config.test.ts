// Unit tests of configuration parsing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, loadConfig } from '../../../daemon/src/config.js';

test('defaults: ./var/ under the working directory, loopback, port 8080', () => {
  const c = loadConfig({}, '/tmp/x');
  assert.equal(c.host, '127.0.0.1');
  assert.equal(c.port, 8080);
  assert.equal(c.dataDir, '/tmp/x/var/data');
  assert.equal(c.dbPath, '/tmp/x/var/hcd.db');
  assert.equal(c.requireMount, false);
  assert.ok(Object.isFrozen(c));
});

test('environment overrides', () => {
  const c = loadConfig({
    HCD_HOST: '0.0.0.0',
    HCD_PORT: '80',
    HCD_DATA_DIR: '/srv/homedrive',
    HCD_DB: '/var/lib/homedrive/homedrive.db',
    HCD_REQUIRE_MOUNT: '1',
  });
  assert.deepEqual([c.host, c.port, c.dataDir, c.dbPath, c.requireMount], ['0.0.0.0', 80, '/srv/homedrive', '/var/lib/homedrive/homedrive.db', true]);
});

test('every problem is reported at once', () => {
  try {
    loadConfig({ HCD_PORT: 'eighty', HCD_REQUIRE_MOUNT: 'maybe', HCD_LOG_LEVEL: 'loud', HCD_DATA_DIR: '/d', HCD_DB: '/d/workspace/db.sqlite' });
    assert.fail('should throw');
  } catch (e) {
    assert.ok(e instanceof ConfigError);
    assert.equal(e.problems.length, 4, e.message);
    assert.match(e.message, /HCD_PORT/);
    assert.match(e.message, /HCD_REQUIRE_MOUNT/);
    assert.match(e.message, /HCD_LOG_LEVEL/);
    assert.match(e.message, /HCD_DB/);
  }
});

test('captive portal: own address and host name, validated', () => {
  const d = loadConfig({}, '/tmp/x');
  assert.deepEqual([d.portalAddress, d.hostname], ['', 'homedrive']);
  const c = loadConfig({ HCD_PORTAL_ADDRESS: '10.42.0.1', HCD_HOSTNAME: 'FieldDrive' });
  assert.deepEqual([c.portalAddress, c.hostname], ['10.42.0.1', 'fielddrive']);
  try {
    loadConfig({ HCD_PORTAL_ADDRESS: 'http://10.42.0.1/', HCD_HOSTNAME: 'bad name' });
    assert.fail('should throw');
  } catch (e) {
    assert.ok(e instanceof ConfigError);
    assert.match(e.message, /HCD_PORTAL_ADDRESS/);
    assert.match(e.message, /HCD_HOSTNAME/);
  }
});
