// First-boot program (homedrive-firstboot.service): overlays the boot-partition file on the base config, once.
import { pathToFileURL } from 'node:url';
import { $ } from 'zx';
import { parseConfig, validateConfig, type ConfigInput } from './config.js';
import { BASE_CONFIG_FILE, CLI_ENTRY, FIRSTBOOT_FILE, FIRSTBOOT_STATUS_FILE, NODE_BIN, SERVICE_USER } from './contract.js';
import { parseFirstbootFile, scrubPassword, type FirstbootKey, type FirstbootProblem } from './lib/firstboot-file.js';
import { runSteps } from './lib/run.js';
import { Target } from './lib/target.js';
import { FIRSTBOOT_STEPS } from './steps/index.js';

export interface FirstbootStatus {
  appliedAt: string;
  ok: boolean;
  errors: FirstbootProblem[];
}

export interface FirstbootDeps {
  root: string;
  now: () => Date;
  createAdmin: (username: string, password: string) => Promise<void>;
  log: (message: string) => void;
}

type Raw = Record<string, unknown> & { wifi?: Record<string, unknown> };

// Each file key and the config field it overrides; admin_* go to the daemon's CLI instead.
const OVERRIDES: Partial<Record<FirstbootKey, (raw: Raw, value: string) => void>> = {
  wifi_ssid: (raw, v) => ((raw.wifi ??= {})['ssid'] = v),
  wifi_passphrase: (raw, v) => ((raw.wifi ??= {})['passphrase'] = v),
  wifi_country: (raw, v) => ((raw.wifi ??= {})['country'] = v),
  hostname: (raw, v) => (raw['hostname'] = v),
  timezone: (raw, v) => (raw['timezone'] = v),
};

const USERNAME = /^[a-z][a-z0-9._-]{0,31}$/;
const MIN_PASSWORD = 8;

export async function applyFirstboot(deps: FirstbootDeps): Promise<FirstbootStatus> {
  const target = new Target(deps.root, false);
  const errors: FirstbootProblem[] = [];
  const text = (await target.readText(FIRSTBOOT_FILE)) ?? '';
  const parsed = parseFirstbootFile(text);
  errors.push(...parsed.problems);
  const { values } = parsed;
  if (values.admin_password) {
    // Scrubbed before anything else: the card can be read by anyone who holds it.
    await target.writeFile(FIRSTBOOT_FILE, scrubPassword(text), {});
  }

  let base: Raw | undefined;
  try {
    base = JSON.parse((await target.readText(BASE_CONFIG_FILE)) ?? 'null') as Raw;
    parseConfig(base);
  } catch (error) {
    errors.push({ key: 'provisioning', message: `base configuration ${BASE_CONFIG_FILE} unusable: ${(error as Error).message}` });
    base = undefined;
  }

  if (base) {
    let candidate = structuredClone(base);
    for (const [key, apply] of Object.entries(OVERRIDES) as [FirstbootKey, (raw: Raw, value: string) => void][]) {
      const value = values[key];
      if (value === undefined) continue;
      const trial = structuredClone(candidate);
      apply(trial, value);
      const result = validateConfig(trial as ConfigInput);
      // The base is valid, so any problem comes from this key: keep the previous value.
      if (result.ok) candidate = trial;
      else errors.push({ key, message: result.problems.map((p) => p.message).join('; ') });
    }
    const config = parseConfig(candidate);
    try {
      await runSteps(config, target, FIRSTBOOT_STEPS);
      await target.writeFile(BASE_CONFIG_FILE, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600, secret: true });
    } catch (error) {
      errors.push({ key: 'apply', message: (error as Error).message });
    }
  }

  const username = values.admin_username || 'admin';
  const password = values.admin_password ?? '';
  if (!USERNAME.test(username)) {
    errors.push({ key: 'admin_username', message: 'must start with a lowercase letter and use at most 32 lowercase letters, digits, ".", "_" or "-"' });
  } else if (password !== '' && password.length < MIN_PASSWORD) {
    errors.push({ key: 'admin_password', message: `must have at least ${MIN_PASSWORD} characters; no admin account was created` });
  } else if (password !== '') {
    try {
      await deps.createAdmin(username, password);
    } catch (error) {
      errors.push({ key: 'admin_password', message: `creating admin "${username}" failed: ${(error as Error).message}` });
    }
  }

  const status: FirstbootStatus = { appliedAt: deps.now().toISOString(), ok: errors.length === 0, errors };
  await target.writeFile(FIRSTBOOT_STATUS_FILE, `${JSON.stringify(status, null, 2)}\n`, { mode: 0o640, group: SERVICE_USER });
  for (const e of errors) deps.log(`first-boot configuration: ${e.key}: ${e.message}`);
  return status;
}

/** The daemon's own CLI, as the service user so that the database it creates belongs to the daemon. */
async function cliCreateAdmin(username: string, password: string): Promise<void> {
  const result = await $({
    input: `${password}\n`,
    quiet: true,
    nothrow: true,
  })`runuser -u ${SERVICE_USER} -- ${NODE_BIN} ${CLI_ENTRY} create-admin ${username} --password-stdin`;
  if (result.exitCode !== 0) throw new Error(result.stderr.trim() || `exit code ${result.exitCode}`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  applyFirstboot({ root: '/', now: () => new Date(), createAdmin: cliCreateAdmin, log: (m) => console.error(m) }).then(
    (status) => {
      console.log(`first-boot configuration applied: ${status.ok ? 'ok' : `${status.errors.length} problem(s), defaults kept for those keys`}`);
      // Exit 0 even with errors: a wrong value must never leave a failed unit in the way of the boot.
      process.exit(0);
    },
    (error: unknown) => {
      console.error('first-boot configuration failed:', error);
      process.exit(1);
    },
  );
}
