// Unit tests of the first-boot file parser and of the password scrubbing.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseFirstbootFile, scrubPassword } from '../../provisioning/lib/firstboot-file.js';

test('parses key=value with comments, spaces, a BOM and CRLF', () => {
  const parsed = parseFirstbootFile('\uFEFF# comment\r\n wifi_ssid = Salle 12 \r\n\r\nADMIN_PASSWORD=s3cret=with=equals\r\n');
  assert.deepEqual(parsed.values, { wifi_ssid: 'Salle 12', admin_password: 's3cret=with=equals' });
  assert.deepEqual(parsed.problems, []);
});

test('unknown keys, lines without "=" and repeated keys are reported', () => {
  const parsed = parseFirstbootFile('wifi_ssd=typo\njust words\nhostname=a\nhostname=b\n');
  assert.equal(parsed.values.hostname, 'b');
  assert.deepEqual(
    parsed.problems.map((p) => p.key),
    ['wifi_ssd', 'line 2', 'hostname'],
  );
});

test('scrubbing empties the password and keeps everything else byte for byte', () => {
  const text = '# keep me\r\nadmin_username=alice\r\nadmin_password = hunter22\r\nhostname=x\r\n';
  assert.equal(scrubPassword(text), '# keep me\r\nadmin_username=alice\r\nadmin_password =\r\nhostname=x\r\n');
  assert.equal(scrubPassword('admin_password=\n'), 'admin_password=\n');
  assert.equal(parseFirstbootFile(scrubPassword(text)).values.admin_password, '');
});
