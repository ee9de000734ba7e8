// Device settings from the console (issue 17 item 2): a change validated by provisioning's own schema,
// recorded with what it replaces, the revert timer set before the apply starts, confirmation and
// revert racing for the same pending file. systemd-run and systemctl are stand-ins that record their
// arguments; the steps themselves run over a real Debian root in rootfs.root.test.ts and on the image.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { handle, helperEnv, type HelperEnv, type SettingsResult } from '../../provisioning/helper/verbs.js';
import { changedKeys, needsConfirmation, planChange, revertPending, SettingsState, applyPending } from '../../provisioning/settings.js';
import { sampleConfig } from './helpers/fixtures.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hcd-settings-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

const base = sampleConfig({ hostname: 'homedrive', timezone: 'Europe/Paris', wifi: { country: 'FR', ssid: 'HomeDrive', passphrase: 'classe-de-cm2' } });

test('a change is the whole configuration re-validated: the keys it changes, and which need a confirmation', () => {
  const p = planChange(base, { wifi: { ssid: 'CM2 B', passphrase: null } });
  assert.ok(p.ok);
  assert.deepEqual(p.changed, ['wifi.ssid', 'wifi.passphrase']);
  assert.equal(p.candidate.wifi.passphrase, null);
  assert.equal(p.candidate.wifi.country, 'FR', 'untouched keys kept');
  assert.equal(needsConfirmation(p.changed), true);
  const tz = planChange(base, { timezone: 'Africa/Dakar' });
  assert.ok(tz.ok);
  assert.deepEqual(tz.changed, ['timezone']);
  assert.equal(needsConfirmation(tz.changed), false, 'a time zone cannot cut anyone off');
  assert.equal(needsConfirmation(['hostname']), true, 'the name the browser reached the drive by');
  // A new band drops the old band's channel for the new band's default.
  const band = planChange(sampleConfig({ wifi: { country: 'FR', channel: 11 } }), { wifi: { band: '5GHz' } });
  assert.ok(band.ok);
  assert.equal(band.candidate.wifi.channel, undefined);
  assert.deepEqual(changedKeys(base, base), []);
  // Hostnames are folded to lower case, as the browser's address bar would.
  const host = planChange(base, { hostname: ' Salle-12 ' });
  assert.ok(host.ok && host.candidate.hostname === 'salle-12');
});

test('bad values are refused with the schema’s words, each at its path', () => {
  const cases: [Parameters<typeof planChange>[1], string, RegExp][] = [
    [{ wifi: { ssid: 'x'.repeat(33) } }, 'wifi.ssid', /at most 32 bytes/],
    [{ wifi: { ssid: 'é'.repeat(17) } }, 'wifi.ssid', /at most 32 bytes/],
    [{ wifi: { ssid: '' } }, 'wifi.ssid', /must not be empty/],
    [{ wifi: { passphrase: 'x'.repeat(7) } }, 'wifi.passphrase', /8 to 63 characters/],
    [{ wifi: { passphrase: 'x'.repeat(64) } }, 'wifi.passphrase', /8 to 63 characters/],
    [{ wifi: { country: 'XX' } }, 'wifi.country', /ISO 3166-1/],
    [{ wifi: { channel: 13, country: 'US' } }, 'wifi.channel', /1-11 in US/],
    [{ wifi: { band: '5GHz', channel: 52 } }, 'wifi.channel', /no DFS/],
    [{ wifi: { band: '60GHz' } }, 'wifi.band', /must be one of/],
    [{ hostname: 'salle 12' }, 'hostname', /lowercase letters/],
    [{ timezone: 'Europe/Atlantis' }, 'timezone', /IANA time zone/],
  ];
  for (const [change, where, message] of cases) {
    const p = planChange(base, change);
    assert.equal(p.ok, false, JSON.stringify(change));
    const problem = !p.ok ? p.problems.find((x) => x.path === where) : undefined;
    assert.ok(problem, `${JSON.stringify(change)}: ${JSON.stringify(!p.ok && p.problems)}`);
    assert.match(problem.message, message);
  }
});

// ---- the helper's verbs ----

let env: HelperEnv;
const calls = path.join(dir, 'calls');
const stateDir = path.join(dir, 'state');
const configFile = path.join(dir, 'provisioning.json');
let clock = Date.parse('2026-12-04T08:00:00Z');

function script(name: string, body: string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, `#!/bin/sh\n${body}\n`);
  fs.chmodSync(file, 0o755);
  return file;
}

function recorded(): string[] {
  const text = fs.existsSync(calls) ? fs.readFileSync(calls, 'utf8') : '';
  fs.rmSync(calls, { force: true });
  return text.split('\n').filter(Boolean);
}

before(() => {
  fs.writeFileSync(configFile, JSON.stringify(base));
  env = {
    ...helperEnv({}),
    configFile,
    settingsDir: stateDir,
    systemdRun: script('systemd-run', `echo "systemd-run $*" >> ${calls}`),
    systemctl: script('systemctl', `echo "systemctl $*" >> ${calls}`),
    nodeBin: '/opt/homedrive/node/bin/node',
    now: () => new Date(clock),
  };
});

async function ask<T>(request: unknown): Promise<{ ok: true; result: T } | { ok: false; error: { code: string; message: string; problems?: unknown[] } }> {
  const { answer } = await handle(JSON.stringify(request), env);
  return answer as never;
}

test('settings_get: the current values, nothing pending, and the choices the console offers', async () => {
  const r = await ask<SettingsResult>({ verb: 'settings_get' });
  assert.ok(r.ok, JSON.stringify(r));
  assert.deepEqual(r.result.current, {
    hostname: 'homedrive',
    timezone: 'Europe/Paris',
    wifi: { ssid: 'HomeDrive', passphrase: 'classe-de-cm2', country: 'FR', band: '2.4GHz', channel: null, interface: 'wlan0' },
  });
  assert.equal(r.result.pending, null);
  assert.ok(r.result.choices.countries.includes('FR') && r.result.choices.countries.includes('SN'));
  assert.deepEqual(r.result.choices.channels5GHz, [36, 40, 44, 48]);
  assert.deepEqual(r.result.choices.revertSeconds, { default: 120, min: 30, max: 600 });
});

test('settings_apply: refused values run nothing and record nothing; the problems come back by path', async () => {
  const r = await ask({ verb: 'settings_apply', args: { by: 'prof', change: { wifi: { passphrase: 'court' } } } });
  assert.equal(r.ok, false);
  assert.equal(!r.ok && r.error.code, 'bad_settings');
  assert.deepEqual(!r.ok && r.error.problems, [
    { path: 'wifi.passphrase', message: 'a WPA2 passphrase must have 8 to 63 characters (or be empty for an open network)' },
  ]);
  for (const bad of [
    { by: 'prof', change: { wifi: { ssid: 'x' } }, revertAfterSeconds: 5 },
    { by: 'prof', change: { wifi: { ssid: 'x' } }, revertAfterSeconds: 3600 },
    { by: 'prof', change: { wifi: { ssid: 'x', interface: 'eth0' } } },
    { by: 'prof', change: { network: { address: '10.0.0.1' } } },
    { change: { hostname: 'x' } },
  ]) {
    const b = await ask({ verb: 'settings_apply', args: bad });
    assert.equal(!b.ok && b.error.code, 'bad_request', JSON.stringify(bad));
  }
  assert.deepEqual(recorded(), []);
  assert.equal(fs.existsSync(path.join(stateDir, 'pending.json')), false);
  // Nothing changed: nothing recorded, nothing run.
  const same = await ask<{ changed: string[]; pending: null }>({ verb: 'settings_apply', args: { by: 'prof', change: { wifi: { ssid: 'HomeDrive' } } } });
  assert.ok(same.ok);
  assert.deepEqual(same.result, { changed: [], pending: null });
  assert.deepEqual(recorded(), []);
});

test('settings_apply: the revert timer is set before the apply starts, both transient units outliving the helper', async () => {
  const r = await ask<{ changed: string[]; pending: { id: string; deadline: string; secondsLeft: number; previous: { ssid: string } } }>({
    verb: 'settings_apply',
    args: { by: 'prof', change: { wifi: { ssid: 'CM2 B' } }, revertAfterSeconds: 90 },
  });
  assert.ok(r.ok, JSON.stringify(r));
  const { id } = r.result.pending;
  assert.deepEqual(r.result.changed, ['wifi.ssid']);
  assert.equal(r.result.pending.secondsLeft, 90);
  assert.equal(r.result.pending.deadline, '2026-12-04T08:01:30.000Z');
  assert.equal(r.result.pending.previous.ssid, 'HomeDrive');
  const run = recorded();
  assert.equal(run.length, 3, run.join('\n'));
  assert.equal(run[0], 'systemctl stop homedrive-settings-revert-*.timer');
  assert.match(
    run[1]!,
    new RegExp(
      `^systemd-run --quiet --collect --unit=homedrive-settings-revert-${id} --on-active=90s .* /opt/homedrive/node/bin/node /opt/homedrive/app/dist/provisioning/settings.js revert$`,
    ),
  );
  assert.match(
    run[2]!,
    new RegExp(`^systemd-run --quiet --collect --no-block --unit=homedrive-settings-apply-${id} .* /opt/homedrive/app/dist/provisioning/settings.js apply$`),
  );
  // Recorded for the programs, root only.
  const file = path.join(stateDir, 'pending.json');
  assert.equal(fs.statSync(file).mode & 0o777, 0o600);
  const pending = JSON.parse(fs.readFileSync(file, 'utf8'));
  assert.equal(pending.state, 'applying');
  assert.equal(pending.candidate.wifi.ssid, 'CM2 B');
  assert.equal(pending.previous.wifi.ssid, 'HomeDrive');
  // While it is being applied: no second change, no confirmation yet.
  const busy = await ask({ verb: 'settings_apply', args: { by: 'prof', change: { hostname: 'salle-12' } } });
  assert.equal(!busy.ok && busy.error.code, 'busy');
  const early = await ask({ verb: 'settings_confirm', args: { by: 'prof' } });
  assert.equal(!early.ok && early.error.code, 'not_applied_yet');
});

test('the apply program marks the change applied; a second change builds on it and still reverts to the confirmed settings', async () => {
  const state = new SettingsState(stateDir);
  const quiet = { log: () => {}, now: () => new Date(clock) };
  // The root is a scratch directory with no steps to run: the apply fails there, so it is checked
  // separately on a real Debian root. Here only the bookkeeping: pretend it applied.
  const p = (await state.readPending())!;
  await state.writePending({ ...p, state: 'applied' });
  fs.writeFileSync(configFile, JSON.stringify(p.candidate));
  clock += 30_000;
  const got = await ask<SettingsResult>({ verb: 'settings_get' });
  assert.ok(got.ok);
  assert.equal(got.result.current.wifi.ssid, 'CM2 B');
  assert.equal(got.result.pending?.secondsLeft, 60);
  assert.equal(got.result.pending?.state, 'applied');

  // A time zone while the network change awaits its confirmation: confirmed together, reverted together.
  const r = await ask<{ changed: string[] }>({ verb: 'settings_apply', args: { by: 'prof', change: { timezone: 'Africa/Dakar' } } });
  assert.ok(r.ok, JSON.stringify(r));
  assert.deepEqual(r.result.changed, ['wifi.ssid', 'timezone']);
  const run = recorded();
  assert.equal(run[0], 'systemctl stop homedrive-settings-revert-*.timer', 'the first change’s timer goes');
  assert.match(run[1]!, /--on-active=120s/);
  const second = (await state.readPending())!;
  assert.equal(second.previous.wifi.ssid, 'HomeDrive');
  assert.equal(second.previous.timezone, 'Europe/Paris');
  assert.equal(second.candidate.wifi.ssid, 'CM2 B');
  assert.equal(second.candidate.timezone, 'Africa/Dakar');

  // A failing apply puts the previous settings back at once and says why (the scratch root has no /etc/passwd).
  const root = fs.mkdtempSync(path.join(dir, 'root-'));
  let cancelled = 0;
  const last = await applyPending({ ...quiet, root, state, delayMs: 0, cancelRevert: async () => void cancelled++ });
  assert.equal(last?.outcome, 'failed');
  assert.match(last?.error ?? '', /step 20-wifi .* failed/);
  assert.equal(cancelled, 1);
  assert.equal(await state.readPending(), null);
  assert.deepEqual(await state.readLast(), last);
});

test('confirm and revert race for the pending file: whoever takes it first decides', async () => {
  const state = new SettingsState(stateDir);
  const p = planChange(base, { hostname: 'salle-12' });
  assert.ok(p.ok);
  const pending = {
    id: 'abcd0001',
    requestedAt: new Date(clock).toISOString(),
    by: 'prof',
    changed: p.changed,
    revertAfterSeconds: 120,
    deadline: new Date(clock + 120_000).toISOString(),
    state: 'applied' as const,
    previous: base,
    candidate: p.candidate,
  };
  await state.writePending(pending);
  recorded();
  const ok = await ask<{ confirmed: boolean; changed: string[] }>({ verb: 'settings_confirm', args: { by: 'prof' } });
  assert.ok(ok.ok, JSON.stringify(ok));
  assert.deepEqual(ok.result, { confirmed: true, changed: ['hostname'] });
  assert.deepEqual(recorded(), ['systemctl stop homedrive-settings-revert-*.timer']);
  assert.equal((await state.readLast())?.outcome, 'confirmed');
  // The timer fires a moment later anyway: nothing to revert.
  assert.equal(await revertPending({ root: '/nonexistent', state, log: () => {}, now: () => new Date(clock) }), null);
  const again = await ask({ verb: 'settings_confirm', args: { by: 'prof' } });
  assert.equal(!again.ok && again.error.code, 'nothing_pending');

  // The other order: the revert takes it, the confirmation comes too late.
  await state.writePending({ ...pending, id: 'abcd0002' });
  const reverted = await revertPending({ root: fs.mkdtempSync(path.join(dir, 'root-')), state, log: () => {}, now: () => new Date(clock) });
  assert.equal(reverted?.outcome, 'reverted');
  const late = await ask({ verb: 'settings_confirm', args: { by: 'prof' } });
  assert.equal(!late.ok && late.error.code, 'nothing_pending');

  // The timer fires while the apply still runs: the revert waits for it, or the new settings would land last.
  await state.writePending({ ...pending, id: 'abcd0003', state: 'applying' });
  let marked = 0;
  const applying = setTimeout(async () => {
    await state.writePending({ ...pending, id: 'abcd0003', state: 'applied' });
    marked = Date.now();
  }, 300);
  const t0 = Date.now();
  const waited = await revertPending({ root: fs.mkdtempSync(path.join(dir, 'root-')), state, log: () => {}, now: () => new Date(clock), pollMs: 50 });
  clearTimeout(applying);
  assert.equal(waited?.id, 'abcd0003');
  assert.ok(marked > 0 && marked >= t0, 'the revert took the change only once the apply had marked it applied');
  assert.equal(await state.readPending(), null);
});

test('two changes sent at once (one helper process each): one is recorded and applied, the other is told busy', async () => {
  fs.rmSync(stateDir, { recursive: true, force: true });
  recorded();
  const answers = await Promise.all(
    ['Salle A', 'Salle B', 'Salle C'].map((ssid) => ask({ verb: 'settings_apply', args: { by: 'prof', change: { wifi: { ssid } } } })),
  );
  assert.equal(answers.filter((a) => a.ok).length, 1, JSON.stringify(answers));
  for (const a of answers) if (!a.ok) assert.equal(a.error.code, 'busy');
  assert.equal(recorded().filter((c) => c.includes('--unit=homedrive-settings-apply-')).length, 1, 'one apply started');
  assert.deepEqual(
    fs.readdirSync(stateDir).filter((f) => f.endsWith('.lock')),
    [],
  );
});
