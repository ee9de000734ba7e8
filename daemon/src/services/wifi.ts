// The Wi-Fi network to print on login cards: read from the hostapd.conf that provisioning writes
// (provisioning/templates/hostapd-conf.ts), never invented; and the standard WIFI: string of its QR code.
import fs from 'node:fs/promises';
import type { CardWifi } from '../api-types.js';

export type WifiResult = { wifi: CardWifi; reason: null } | { wifi: null; reason: string };

/**
 * The "WIFI:" string that phone cameras read as "join this network" (ZXing's format, also Android's and
 * iOS's): `\`, `;`, `,`, `:` and `"` are escaped with a backslash in the name and the passphrase.
 */
export function wifiQrString(ssid: string, passphrase: string | null): string {
  const esc = (s: string) => s.replace(/[\\;,:"]/g, (ch) => `\\${ch}`);
  return passphrase === null ? `WIFI:T:nopass;S:${esc(ssid)};;` : `WIFI:T:WPA;S:${esc(ssid)};P:${esc(passphrase)};;`;
}

/** hostapd's ssid2 value: hex (what provisioning writes), "quoted text", or P"printf-escaped text". */
function ssid2(value: string): string | null {
  if (/^"[^]*"$/.test(value)) return value.slice(1, -1);
  if (/^P"[^]*"$/.test(value)) {
    return value.slice(2, -1).replace(/\\(x[0-9a-fA-F]{2}|.)/g, (_, e: string) => (e[0] === 'x' ? String.fromCharCode(parseInt(e.slice(1), 16)) : e));
  }
  if (/^([0-9a-fA-F]{2})+$/.test(value)) return Buffer.from(value, 'hex').toString('utf8');
  return null;
}

/** The network's name and passphrase (null: open network) from a hostapd.conf's text, or why not. */
export function parseHostapdConf(text: string): { ssid: string; passphrase: string | null } | { error: string } {
  let ssid: string | null = null;
  let passphrase: string | null = null;
  let wpa = 0;
  let rawPsk = false;
  for (const line of text.split('\n')) {
    // hostapd takes everything after the first "=" as the value (spaces included) and the last line for a key.
    const l = line.replace(/\r$/, '');
    if (l.startsWith('#')) continue;
    const eq = l.indexOf('=');
    if (eq < 0) continue;
    const key = l.slice(0, eq).trim();
    const value = l.slice(eq + 1);
    if (key === 'ssid') ssid = value;
    else if (key === 'ssid2') ssid = ssid2(value.trim()) ?? ssid;
    else if (key === 'wpa_passphrase') passphrase = value;
    else if (key === 'wpa') wpa = Number(value.trim()) || 0;
    else if (key === 'wpa_psk' || key === 'wpa_psk_file') rawPsk = true;
  }
  if (ssid === null || ssid === '') return { error: 'it names no network (no ssid= or ssid2= line)' };
  if (wpa === 0) return { ssid, passphrase: null };
  if (passphrase === null) {
    return { error: rawPsk ? 'the network uses a raw key (wpa_psk) instead of a passphrase' : 'WPA is on but no wpa_passphrase is set' };
  }
  return { ssid, passphrase };
}

/** Reads the appliance's Wi-Fi from `file`; where it cannot (development, permissions), says why. */
export async function readWifi(file: string): Promise<WifiResult> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? `${file} does not exist: this is not the appliance, or its Wi-Fi is not set up (HCD_HOSTAPD_CONF names the file)`
        : code === 'EACCES'
          ? `the drive's service may not read ${file}`
          : `${file} cannot be read (${code ?? String(err)})`;
    return { wifi: null, reason: why };
  }
  const parsed = parseHostapdConf(text);
  if ('error' in parsed) return { wifi: null, reason: `${file}: ${parsed.error}` };
  const { ssid, passphrase } = parsed;
  return { wifi: { ssid, passphrase, security: passphrase === null ? 'nopass' : 'WPA', qr: wifiQrString(ssid, passphrase) }, reason: null };
}
