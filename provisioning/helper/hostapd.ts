// The Wi-Fi clients hostapd has now, from `hostapd_cli all_sta`: a MAC line opens each station, then
// its `key=value` lines. Only what the dashboard needs is kept; the MAC addresses are not (the drive
// has no use for a device identifier, and the admin console should not collect one).

export interface Station {
  /** Seconds since the phone associated. */
  connectedSeconds: number | null;
  /** dBm, as the radio last heard it. */
  signal: number | null;
  rxBytes: number | null;
  txBytes: number | null;
  /** Through the WPA handshake (an open network: associated). */
  authorized: boolean;
}

const MAC = /^([0-9a-f]{2}:){5}[0-9a-f]{2}$/i;

function int(v: string | undefined): number | null {
  if (v === undefined || !/^-?\d+$/.test(v.trim())) return null;
  return Number(v.trim());
}

/** Parses `hostapd_cli -i <iface> all_sta`; unknown lines are ignored, a station is its MAC line. */
export function parseAllSta(out: string): Station[] {
  const stations: Station[] = [];
  let fields: Map<string, string> | null = null;
  const flush = () => {
    if (!fields) return;
    const flags = fields.get('flags') ?? '';
    stations.push({
      connectedSeconds: int(fields.get('connected_time')),
      signal: int(fields.get('signal')),
      rxBytes: int(fields.get('rx_bytes')),
      txBytes: int(fields.get('tx_bytes')),
      authorized: flags.includes('[AUTHORIZED]'),
    });
  };
  for (const raw of out.split('\n')) {
    const line = raw.trim();
    if (MAC.test(line)) {
      flush();
      fields = new Map();
      continue;
    }
    const eq = line.indexOf('=');
    if (fields && eq > 0) fields.set(line.slice(0, eq), line.slice(eq + 1));
  }
  flush();
  return stations;
}
