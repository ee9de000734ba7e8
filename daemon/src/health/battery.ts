// Battery readers: Linux power_supply, the PiSugar power manager's TCP protocol, an INA219 through the kernel's hwmon driver.
import fsp from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import type { Battery, BatterySource } from '../api-types.js';
import { findHwmon } from './rpi-power.js';
import { known, num, readAttr, unknown, type Reading } from './reading.js';

// ---- Linux power_supply class (Documentation/ABI/testing/sysfs-class-power) -------------------

/**
 * The first present battery under <sysRoot>/class/power_supply. Units per the ABI: capacity in %,
 * voltage_now in µV, current_now in µA; status is Charging, Discharging, Not charging, Full or Unknown.
 */
export async function readPowerSupply(opts: { sysRoot?: string } = {}): Promise<Reading<Battery>> {
  const base = path.join(opts.sysRoot ?? '/sys', 'class/power_supply');
  let names: string[];
  try {
    names = (await fsp.readdir(base)).sort();
  } catch {
    return unknown('no_power_supply_class');
  }
  let battery: string | null = null;
  let external: boolean | null = null;
  for (const n of names) {
    const dir = path.join(base, n);
    const type = await readAttr(path.join(dir, 'type'));
    if ((type === 'Battery' || type === 'UPS') && battery === null && (await readAttr(path.join(dir, 'present'))) !== '0') battery = n;
    if (type === 'Mains' || type === 'USB') {
      const online = num(await readAttr(path.join(dir, 'online')));
      if (online !== null) external = (external ?? false) || online === 1;
    }
  }
  if (battery === null) return unknown(names.length === 0 ? 'no_power_supply' : 'no_battery_supply');
  const dir = path.join(base, battery);
  const capacity = num(await readAttr(path.join(dir, 'capacity')));
  const status = await readAttr(path.join(dir, 'status'));
  const uv = num(await readAttr(path.join(dir, 'voltage_now')));
  const ua = num(await readAttr(path.join(dir, 'current_now')));
  const charging: Reading<boolean> =
    status === 'Charging'
      ? known(true)
      : status === 'Discharging' || status === 'Not charging' || status === 'Full'
        ? known(false)
        : unknown('battery_status', { status: status ?? 'absent' });
  const pluggedIn: Reading<boolean> =
    external !== null
      ? known(external)
      : status === 'Charging' || status === 'Full'
        ? known(true)
        : status === 'Discharging'
          ? known(false)
          : unknown('no_mains_supply');
  return known({
    source: 'power_supply',
    device: battery,
    percent: capacity !== null ? known(capacity) : unknown('no_capacity'),
    charging,
    pluggedIn,
    voltageV: uv !== null ? known(uv / 1e6) : unknown('no_voltage_now'),
    currentA: ua !== null ? known(ua / 1e6) : unknown('no_current_now'),
  });
}

// ---- PiSugar power manager (pisugar-server), TCP on 8423 -----------------------------------------

/**
 * Asks the PiSugar server one line per command ("get battery") and reads "battery: 87.5" back.
 * The server also pushes button events ("single", "double", "long") on the same stream, and answers
 * a failure as "battery: <error text>", so answers are matched by their prefix and parsed strictly.
 */
export async function pisugarQuery(address: string, commands: string[], timeoutMs = 2000): Promise<Map<string, string>> {
  const [host, portText] = splitAddress(address);
  const answers = new Map<string, string>();
  await new Promise<void>((resolve, reject) => {
    const sock = net.connect({ host, port: Number(portText) });
    let buf = '';
    let i = 0;
    let settled = false;
    // Each command gets its own deadline: an older server answers an unknown command with a
    // multi-line usage text that carries no prefix, and that command is then skipped.
    let perCommand: NodeJS.Timeout | undefined;
    const finish = (err?: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(connectTimer);
      clearTimeout(perCommand);
      sock.destroy();
      if (err) reject(err);
      else resolve();
    };
    const connectTimer = setTimeout(() => finish(new Error(`no connection to the PiSugar server at ${address} within ${timeoutMs} ms`)), timeoutMs);
    const next = () => {
      clearTimeout(perCommand);
      if (i >= commands.length) return finish();
      sock.write(`${commands[i]}\n`);
      perCommand = setTimeout(
        () => {
          i++;
          next();
        },
        Math.min(500, Math.floor(timeoutMs / 2)),
      );
    };
    sock.setEncoding('utf8');
    sock.on('connect', () => {
      clearTimeout(connectTimer);
      next();
    });
    sock.on('error', (err) => finish(new Error(`cannot reach the PiSugar server at ${address}: ${(err as NodeJS.ErrnoException).code ?? err.message}`)));
    sock.on('close', () => finish());
    sock.on('data', (d: string) => {
      buf += d;
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl).trim();
        buf = buf.slice(nl + 1);
        const key = commands[i]?.replace(/^get /, '');
        if (key !== undefined && line.startsWith(`${key}:`)) {
          answers.set(key, line.slice(key.length + 1).trim());
          i++;
          next();
        }
      }
    });
  });
  return answers;
}

const PISUGAR_COMMANDS = ['get model', 'get battery', 'get battery_v', 'get battery_i', 'get battery_charging', 'get battery_power_plugged'];

export async function readPiSugar(opts: { address: string; timeoutMs?: number }): Promise<Reading<Battery>> {
  let a: Map<string, string>;
  try {
    a = await pisugarQuery(opts.address, PISUGAR_COMMANDS, opts.timeoutMs);
  } catch (err) {
    return unknown('pisugar_unreachable', { address: opts.address, error: (err as Error).message });
  }
  if (a.size === 0) return unknown('pisugar_silent', { address: opts.address });
  const number = (key: string, min: number, max: number): Reading<number> => {
    const v = a.get(key);
    if (v === undefined) return unknown('pisugar_no_answer', { key });
    const n = /^-?\d+(\.\d+)?$/.test(v) ? Number(v) : null;
    if (n === null || n < min || n > max) return unknown('pisugar_bad_answer', { key, answer: v.slice(0, 60) });
    return known(n);
  };
  const bool = (key: string): Reading<boolean> => {
    const v = a.get(key);
    if (v === 'true') return known(true);
    if (v === 'false') return known(false);
    // battery_power_plugged exists on the newer boards only (PiSugar 2 Pro, 3): older ones answer an error.
    return v === undefined ? unknown('pisugar_no_answer', { key }) : unknown('pisugar_bad_answer', { key, answer: v.slice(0, 60) });
  };
  return known({
    source: 'pisugar',
    device: a.get('model') ?? 'PiSugar',
    percent: number('battery', 0, 100),
    charging: bool('battery_charging'),
    pluggedIn: bool('battery_power_plugged'),
    voltageV: number('battery_v', 0, 30),
    // battery_i is measured on the PiSugar 2 only.
    currentA: number('battery_i', -20, 20),
  });
}

function splitAddress(address: string): [string, string] {
  const i = address.lastIndexOf(':');
  return [address.slice(0, i), address.slice(i + 1)];
}

// ---- INA219 (UPS HATs such as Waveshare's) through the kernel's ina2xx hwmon driver ------------------

/**
 * The ina2xx driver (Documentation/hwmon/ina2xx.rst) exposes in1_input, the bus voltage in mV, and
 * curr1_input in mA once the chip is bound (dtoverlay or i2c new_device). The INA219 has no fuel
 * gauge, so the charge stays unknown rather than guessed from a voltage curve; the sign of the
 * current follows the HAT's shunt wiring: positive flows into the battery on Waveshare's UPS HATs.
 */
export async function readIna219(opts: { sysRoot?: string } = {}): Promise<Reading<Battery>> {
  const dir = await findHwmon(opts.sysRoot ?? '/sys', 'ina219');
  if (!dir) return unknown('no_ina219');
  const mv = num(await readAttr(path.join(dir, 'in1_input')));
  const ma = num(await readAttr(path.join(dir, 'curr1_input')));
  return known({
    source: 'ina219',
    device: path.basename(dir),
    percent: unknown('ina219_no_charge'),
    charging: ma !== null ? known(ma > 0) : unknown('ina219_no_shunt'),
    pluggedIn: unknown('ina219_no_charger'),
    voltageV: mv !== null ? known(mv / 1000) : unknown('ina219_no_voltage'),
    currentA: ma !== null ? known(ma / 1000) : unknown('ina219_no_shunt'),
  });
}

export interface BatteryOptions {
  source: BatterySource;
  sysRoot?: string;
  pisugarAddress?: string;
}

export async function readBattery(opts: BatteryOptions): Promise<Reading<Battery>> {
  switch (opts.source) {
    case 'none':
      return unknown('no_battery_configured');
    case 'power_supply':
      return readPowerSupply({ sysRoot: opts.sysRoot });
    case 'pisugar':
      return readPiSugar({ address: opts.pisugarAddress ?? '127.0.0.1:8423' });
    case 'ina219':
      return readIna219({ sysRoot: opts.sysRoot });
  }
}
