// Raspberry Pi power supervision: the firmware's throttling flags (get_throttled) and the rpi_volt under-voltage alarm.
import { execFile } from 'node:child_process';
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { ThrottleFlags, Throttled } from '../api-types.js';
import { known, num, readAttr, unknown, type Reading } from './reading.js';

/**
 * Decodes the get_throttled word (Raspberry Pi documentation, "vcgencmd get_throttled"):
 * bits 0-3 are the state now, bits 16-19 the same conditions latched since boot.
 */
export function decodeThrottled(raw: number, source: Throttled['source'] = 'sysfs'): Throttled {
  const flags = (shift: number): ThrottleFlags => ({
    underVoltage: ((raw >> shift) & 0x1) !== 0,
    armFreqCapped: ((raw >> (shift + 1)) & 0x1) !== 0,
    throttled: ((raw >> (shift + 2)) & 0x1) !== 0,
    softTempLimit: ((raw >> (shift + 3)) & 0x1) !== 0,
  });
  return { raw, now: flags(0), sinceBoot: flags(16), source };
}

/** "50005", "0x50005" or vcgencmd's "throttled=0x50005": the firmware prints the word in hex. */
export function parseThrottled(text: string): number | null {
  const m = /^(?:throttled=)?(?:0x)?([0-9a-f]{1,8})$/i.exec(text.trim());
  return m ? parseInt(m[1]!, 16) : null;
}

export interface RpiPowerOptions {
  /** The sysfs root ("/sys"); tests pass a fake tree. */
  sysRoot?: string;
  /** vcgencmd's path, tried when sysfs lacks get_throttled; null to skip. */
  vcgencmd?: string | null;
}

/** get_throttled through the firmware driver's sysfs attribute, else `vcgencmd get_throttled`. */
export async function readThrottled(opts: RpiPowerOptions = {}): Promise<Reading<Throttled>> {
  const sysRoot = opts.sysRoot ?? '/sys';
  const attr = path.join(sysRoot, 'devices/platform/soc/soc:firmware/get_throttled');
  const text = await readAttr(attr);
  if (text !== null) {
    const raw = parseThrottled(text);
    return raw === null ? unknown('throttled_unreadable', { text: text.slice(0, 40) }) : known(decodeThrottled(raw, 'sysfs'));
  }
  const bin = opts.vcgencmd === undefined ? 'vcgencmd' : opts.vcgencmd;
  if (bin === null) return unknown('no_firmware');
  const out = await new Promise<string | null>((resolve) => {
    execFile(bin, ['get_throttled'], { timeout: 3000 }, (err, stdout) => resolve(err ? null : stdout));
  });
  if (out === null) return unknown('no_firmware_vcgencmd');
  const raw = parseThrottled(out);
  return raw === null ? unknown('vcgencmd_unreadable', { text: out.trim().slice(0, 40) }) : known(decodeThrottled(raw, 'vcgencmd'));
}

/** Finds the hwmon directory whose `name` is `name` (e.g. "rpi_volt", "ina219"). */
export async function findHwmon(sysRoot: string, name: string): Promise<string | null> {
  const base = path.join(sysRoot, 'class/hwmon');
  let entries: string[];
  try {
    entries = (await fsp.readdir(base)).sort();
  } catch {
    return null;
  }
  for (const e of entries) {
    if ((await readAttr(path.join(base, e, 'name'))) === name) return path.join(base, e);
  }
  return null;
}

/**
 * The rpi_volt hwmon's in0_lcrit_alarm: 1 while the supply is below the PMIC's under-voltage
 * threshold (about 4.63 V on a Pi 4), the same condition as get_throttled bit 0.
 */
export async function readVoltAlarm(opts: { sysRoot?: string } = {}): Promise<Reading<boolean>> {
  const dir = await findHwmon(opts.sysRoot ?? '/sys', 'rpi_volt');
  if (!dir) return unknown('no_rpi_volt');
  const v = num(await readAttr(path.join(dir, 'in0_lcrit_alarm')));
  if (v === null) return unknown('rpi_volt_unreadable');
  return known(v !== 0);
}
