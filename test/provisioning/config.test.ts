// Unit tests of configuration validation: defaults, and every problem named at once.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError, parseConfig, validateConfig } from '../../provisioning/config.js';

function problems(raw: unknown): Record<string, string> {
  const result = validateConfig(raw);
  assert.equal(result.ok, false, 'expected the configuration to be refused');
  return Object.fromEntries((result as { problems: { path: string; message: string }[] }).problems.map((p) => [p.path, p.message]));
}

test('a country alone is a complete configuration, with the contract defaults', () => {
  const config = parseConfig({ wifi: { country: 'fr' } });
  assert.equal(config.wifi.country, 'FR');
  assert.equal(config.wifi.interface, 'wlan0');
  assert.equal(config.wifi.passphrase, null);
  assert.equal(config.wifi.firmware, 'minimal');
  assert.equal(config.network.address, '10.42.0.1');
  assert.equal(config.network.dhcpStart, '10.42.0.10');
  assert.equal(config.network.dhcpEnd, '10.42.0.250');
  assert.equal(config.hostname, 'homedrive');
  assert.ok(Object.isFrozen(config.wifi));
});

test('an empty passphrase means an open network', () => {
  assert.equal(parseConfig({ wifi: { country: 'FR', passphrase: '' } }).wifi.passphrase, null);
});

test('no country code is refused', () => {
  assert.deepEqual(Object.keys(problems({})), ['wifi.country']);
  assert.match(problems({ wifi: {} })['wifi.country']!, /required/);
  assert.match(problems({ wifi: { country: 'XX' } })['wifi.country']!, /ISO 3166-1/);
});

test('passphrase length and characters', () => {
  assert.match(problems({ wifi: { country: 'FR', passphrase: 'short' } })['wifi.passphrase']!, /8 to 63/);
  assert.match(problems({ wifi: { country: 'FR', passphrase: 'x'.repeat(64) } })['wifi.passphrase']!, /8 to 63/);
  assert.match(problems({ wifi: { country: 'FR', passphrase: 'pâsswörd123' } })['wifi.passphrase']!, /ASCII/);
  assert.equal(parseConfig({ wifi: { country: 'FR', passphrase: 'x'.repeat(63) } }).wifi.passphrase!.length, 63);
});

test('the SSID limit is 32 bytes of UTF-8, not 32 characters', () => {
  assert.equal(parseConfig({ wifi: { country: 'FR', ssid: 'é'.repeat(16) } }).wifi.ssid, 'é'.repeat(16));
  assert.match(problems({ wifi: { country: 'FR', ssid: 'é'.repeat(17) } })['wifi.ssid']!, /32 bytes/);
  assert.match(problems({ wifi: { country: 'FR', ssid: 'a\nb' } })['wifi.ssid']!, /control/);
});

test('the access-point address must be private (RFC 1918)', () => {
  assert.match(problems({ wifi: { country: 'FR' }, network: { address: '8.8.8.8' } })['network.address']!, /RFC 1918/);
  assert.match(problems({ wifi: { country: 'FR' }, network: { address: '172.32.0.1' } })['network.address']!, /RFC 1918/);
  assert.match(problems({ wifi: { country: 'FR' }, network: { address: '10.042.0.1' } })['network.address']!, /IPv4/);
  const ok = parseConfig({ wifi: { country: 'FR' }, network: { address: '192.168.7.1', dhcpStart: '192.168.7.20', dhcpEnd: '192.168.7.99' } });
  assert.equal(ok.network.address, '192.168.7.1');
});

test('an unknown firmware variant is refused', () => {
  assert.match(problems({ wifi: { country: 'FR', firmware: 'turbo' } })['wifi.firmware']!, /unknown firmware variant.*minimal, standard/);
});

test('channels follow the band and the country', () => {
  assert.match(problems({ wifi: { country: 'US', channel: 13 } })['wifi.channel']!, /1-11 in US/);
  assert.equal(parseConfig({ wifi: { country: 'FR', channel: 13 } }).wifi.channel, 13);
  assert.match(problems({ wifi: { country: 'FR', band: '5GHz', channel: 52 } })['wifi.channel']!, /36, 40, 44, 48/);
  assert.match(problems({ wifi: { country: 'FR', band: '6GHz' } })['wifi.band']!, /2.4GHz, 5GHz/);
});

test('the DHCP range must sit in the subnet and around the device address', () => {
  const p = problems({ wifi: { country: 'FR' }, network: { dhcpStart: '10.42.1.10', dhcpEnd: '10.42.0.0' } });
  assert.match(p['network.dhcpStart']!, /inside 10.42.0.1\/24/);
  assert.match(p['network.dhcpEnd']!, /inside|before/);
  assert.match(problems({ wifi: { country: 'FR' }, network: { address: '10.42.0.20' } })['network.address']!, /outside the DHCP range/);
  assert.match(problems({ wifi: { country: 'FR' }, network: { address: '10.42.0.0', dhcpStart: '10.42.0.10' } })['network.address']!, /network or broadcast/);
});

test('a bad configuration names every problem at once, field and cross-field alike', () => {
  const p = problems({
    hostname: 'Home_Drive',
    timezone: 'Mars/Olympus',
    wifi: { ssid: 'x'.repeat(33), passphrase: 'short', firmware: 'turbo', channel: 14, band: '2.4GHz' },
    network: { address: '8.8.8.8' },
    storage: { deviceTimeoutSec: 0 },
    typo: true,
  });
  assert.deepEqual(Object.keys(p).sort(), [
    'hostname',
    'network.address',
    'storage.deviceTimeoutSec',
    'timezone',
    'typo',
    'wifi.channel',
    'wifi.country',
    'wifi.firmware',
    'wifi.passphrase',
    'wifi.ssid',
  ]);
});

test('ConfigError lists each problem on its own line', () => {
  try {
    parseConfig({ wifi: { passphrase: 'short' } });
    assert.fail('expected a ConfigError');
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    assert.equal(error.problems.length, 2);
    assert.match(error.message, /2 problems/);
    assert.match(error.message, /- wifi.country: is required/);
    assert.match(error.message, /- wifi.passphrase: /);
  }
});
