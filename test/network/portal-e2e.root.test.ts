// End to end over a real network: the provisioned dnsmasq and the daemon in a "pi" namespace, a
// "phone" namespace joined by a veth pair in place of the Wi-Fi. The phone gets a DHCP lease with
// option 114, resolves every name to the device, meets the captive portal, accepts it, sees its
// probes answer "online", then logs in, uploads and downloads. No traffic leaves the namespaces.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { renderDnsmasqConf, portalUri } from '../../provisioning/templates/dnsmasq-conf.js';
import { sampleConfig, requireCommand, requireRoot } from '../provisioning/helpers/fixtures.js';
import { MAIN } from '../helpers/server.js';

const id = crypto.randomBytes(3).toString('hex');
const PI = `hcd-pi-${id}`;
const PHONE = `hcd-ph-${id}`;
const PI_IF = `hpi${id}`;
const PHONE_IF = `hph${id}`;
const ADDR = '10.42.0.1';

const sh = (cmd: string, args: string[], input?: string) => execFileSync(cmd, args, { encoding: 'utf8', input, stdio: ['pipe', 'pipe', 'pipe'] });
const inNs = (ns: string, cmd: string, args: string[]) => sh('ip', ['netns', 'exec', ns, cmd, ...args]);
/** curl from the phone: status, headers and body of one request, resolving names through the phone's DNS. */
function phoneCurl(args: string[]): { status: number; headers: string; body: string } {
  const out = inNs(PHONE, 'curl', ['-s', '-D', '-', '--max-time', '10', ...args]);
  const split = out.indexOf('\r\n\r\n');
  const headers = out.slice(0, split);
  return { status: Number(/^HTTP\/[\d.]+ (\d+)/.exec(headers)?.[1]), headers, body: out.slice(split + 4) };
}

async function waitFor(what: string, check: () => boolean, ms = 15_000) {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('a phone joins, meets the portal, accepts it, and uses the drive', async (t) => {
  requireRoot();
  requireCommand('dnsmasq', 'dnsmasq-base');
  requireCommand('busybox', 'busybox');
  requireCommand('curl', 'curl');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hcd-net-'));
  const procs: ChildProcess[] = [];
  t.after(() => {
    for (const p of procs) p.kill('SIGKILL');
    for (const ns of [PI, PHONE]) {
      try {
        sh('ip', ['netns', 'delete', ns]);
      } catch {
        /* not created */
      }
    }
    fs.rmSync(`/etc/netns/${PHONE}`, { recursive: true, force: true });
    fs.rmSync(dir, { recursive: true, force: true });
  });

  // The two hosts and the wire between them.
  sh('ip', ['netns', 'add', PI]);
  sh('ip', ['netns', 'add', PHONE]);
  sh('ip', ['link', 'add', PI_IF, 'type', 'veth', 'peer', 'name', PHONE_IF]);
  sh('ip', ['link', 'set', PI_IF, 'netns', PI]);
  sh('ip', ['link', 'set', PHONE_IF, 'netns', PHONE]);
  inNs(PI, 'ip', ['addr', 'add', `${ADDR}/24`, 'dev', PI_IF]);
  for (const [ns, ifc] of [
    [PI, PI_IF],
    [PHONE, PHONE_IF],
  ] as const) {
    inNs(ns, 'ip', ['link', 'set', 'lo', 'up']);
    inNs(ns, 'ip', ['link', 'set', ifc, 'up']);
  }

  // The provisioned dnsmasq configuration, on the veth instead of wlan0; leases in the test folder.
  const config = sampleConfig({ wifi: { interface: PI_IF } });
  const conf = renderDnsmasqConf(config).replace(/^dhcp-leasefile=.*$/m, `dhcp-leasefile=${dir}/leases`);
  fs.writeFileSync(path.join(dir, 'dnsmasq.conf'), conf);
  const dnsmasq = spawn(
    'ip',
    [
      'netns',
      'exec',
      PI,
      'dnsmasq',
      '--keep-in-foreground',
      '--log-facility=-',
      `--conf-file=${dir}/dnsmasq.conf`,
      `--pid-file=${dir}/dnsmasq.pid`,
      '--user=root',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  procs.push(dnsmasq);
  let dnsLog = '';
  dnsmasq.stdout!.on('data', (d) => (dnsLog += d));
  dnsmasq.stderr!.on('data', (d) => (dnsLog += d));

  // The daemon as the appliance runs it: on port 80 of the AP address.
  const daemon = spawn('ip', ['netns', 'exec', PI, process.execPath, MAIN], {
    env: {
      PATH: process.env.PATH ?? '',
      HCD_HOST: ADDR,
      HCD_PORT: '80',
      HCD_DATA_DIR: path.join(dir, 'data'),
      HCD_DB: path.join(dir, 'hcd.db'),
      HCD_PORTAL_ADDRESS: ADDR,
      HCD_HOSTNAME: 'homedrive',
      HCD_MIN_FREE_BYTES: '0',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  procs.push(daemon);
  let out = '';
  daemon.stdout!.on('data', (d) => (out += d));
  daemon.stderr!.on('data', (d) => (out += d));
  await waitFor('the daemon', () => /listening/.test(out));
  await waitFor('dnsmasq', () => /DHCP, IP range/.test(dnsLog) || /started/.test(dnsLog));

  // DHCP: busybox udhcpc asks for option 114 and hands what it got to a script.
  const script = path.join(dir, 'udhcpc.sh');
  fs.writeFileSync(
    script,
    `#!/bin/sh\nif [ "$1" = bound ]; then\n  env > ${dir}/lease.env\n  ip addr add "$ip/$mask" dev "$interface"\n  ip route add default via "$router"\nfi\n`,
    { mode: 0o755 },
  );
  inNs(PHONE, 'busybox', ['udhcpc', '-i', PHONE_IF, '-n', '-q', '-f', '-t', '5', '-O', '114', '-s', script]);
  const lease = Object.fromEntries(
    fs
      .readFileSync(path.join(dir, 'lease.env'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
  assert.match(lease.ip!, /^10\.42\.0\.(\d+)$/);
  const host = Number(lease.ip!.split('.')[3]);
  assert.ok(host >= 10 && host <= 250, `lease ${lease.ip} inside the DHCP range`);
  assert.equal(lease.router, ADDR);
  assert.equal(lease.dns?.trim(), ADDR);
  // busybox hands unknown options over in hex.
  const opt114 = Buffer.from(lease.opt114!, 'hex').toString('utf8');
  assert.equal(opt114, portalUri(config));
  assert.equal(opt114, `http://${ADDR}/api/captive`);

  // DNS: every name is the device. (Only A: with no upstream, dnsmasq refuses AAAA questions, which
  // phones take as "no IPv6" and carry on with IPv4.)
  for (const name of ['connectivitycheck.gstatic.com', 'captive.apple.com', `no-such-${id}.example`]) {
    const ns = inNs(PHONE, 'busybox', ['nslookup', '-type=a', name, ADDR]);
    assert.match(ns, new RegExp(`Address:\\s+${ADDR.replaceAll('.', '\\.')}\\s*$`, 'm'), `${name}:\n${ns}`);
  }
  assert.match(
    inNs(PHONE, 'busybox', ['nslookup', '-type=a', 'dns.msftncsi.com', ADDR]),
    /Address:\s+131\.107\.255\.255\s*$/m,
    "Windows' NCSI name keeps its address",
  );
  fs.mkdirSync(`/etc/netns/${PHONE}`, { recursive: true });
  fs.writeFileSync(`/etc/netns/${PHONE}/resolv.conf`, `nameserver ${ADDR}\n`);

  // The captive portal: probes lead to the landing page, the RFC 8908 API says captive.
  const before = phoneCurl(['http://connectivitycheck.gstatic.com/generate_204']);
  assert.equal(before.status, 302, before.headers);
  assert.match(before.headers, new RegExp(`^location: http://${ADDR.replaceAll('.', '\\.')}(:80)?/portal`, 'im'));
  const apple = phoneCurl(['http://captive.apple.com/hotspot-detect.html']);
  assert.notEqual(apple.body.includes('<BODY>Success</BODY>'), true, 'Apple must not see "Success" before accepting');
  const landing = phoneCurl([`http://${ADDR}/portal`]);
  assert.equal(landing.status, 200);
  assert.match(landing.body, /<html/i);
  const captive = phoneCurl(['-H', 'Accept: application/captive+json', opt114]);
  assert.match(captive.headers, /content-type: application\/captive\+json/i);
  assert.equal(JSON.parse(captive.body).captive, true);

  const accept = phoneCurl(['-X', 'POST', `http://${ADDR}/api/portal/accept`]);
  assert.ok(accept.status >= 200 && accept.status < 300, `accept: ${accept.status} ${accept.body}`);

  // Online now, exactly as each OS expects.
  assert.equal(phoneCurl(['http://connectivitycheck.gstatic.com/generate_204']).status, 204);
  assert.match(phoneCurl(['http://captive.apple.com/hotspot-detect.html']).body, /<BODY>Success<\/BODY>/);
  assert.equal(phoneCurl(['http://www.msftconnecttest.com/connecttest.txt']).body, 'Microsoft Connect Test');
  assert.equal(JSON.parse(phoneCurl([opt114]).body).captive, false);

  // And the drive itself, from the phone.
  const password = /password\s+(\S+)/.exec(out)![1]!;
  const login = phoneCurl([
    '-H',
    'content-type: application/json',
    '--data',
    JSON.stringify({ username: 'admin', password }),
    `http://homedrive.local/api/auth/login`,
  ]);
  assert.equal(login.status, 200, login.body);
  const token = JSON.parse(login.body).token as string;
  const payload = crypto.randomBytes(256 * 1024);
  fs.writeFileSync(path.join(dir, 'payload.bin'), payload);
  const up = phoneCurl([
    '-H',
    'Expect:',
    '-H',
    `authorization: Bearer ${token}`,
    '-T',
    path.join(dir, 'payload.bin'),
    `http://${ADDR}/api/fs/workspace/from-phone.bin`,
  ]);
  assert.equal(up.status, 201, up.body);
  inNs(PHONE, 'curl', [
    '-s',
    '--max-time',
    '10',
    '-H',
    `authorization: Bearer ${token}`,
    '-o',
    path.join(dir, 'back.bin'),
    `http://${ADDR}/api/fs/workspace/from-phone.bin`,
  ]);
  assert.ok(fs.readFileSync(path.join(dir, 'back.bin')).equals(payload), 'identical bytes back');
});
