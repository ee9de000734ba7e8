// Shared test fixtures: a valid configuration and command checks that fail loudly (CI must run these tests).
import { execFileSync } from 'node:child_process';
import { parseConfig, type Config, type ConfigInput } from '../../../provisioning/config.js';

export function sampleConfig(overrides: { wifi?: Partial<NonNullable<ConfigInput['wifi']>> } & Omit<Partial<ConfigInput>, 'wifi'> = {}): Config {
  const { wifi, ...rest } = overrides;
  return parseConfig({ ...rest, wifi: { country: 'FR', ssid: 'HomeDrive', passphrase: 'correct horse battery', ...wifi } });
}

/** Throws (never skips) when a system program is missing, naming the Debian package to install. */
export function requireCommand(command: string, aptPackage: string): void {
  try {
    execFileSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' });
  } catch {
    throw new Error(`${command} is required for this test: apt-get install ${aptPackage}`);
  }
}

export function requireRoot(): void {
  if (process.getuid?.() !== 0) throw new Error('this test needs root (CI runs as root)');
}
