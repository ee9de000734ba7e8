// Phones on the Wi-Fi now, against the radio's ceiling: hostapd's station list through the root
// helper (only root reads hostapd's control socket). Asked at most every 15 s: each question starts a
// helper process, a fraction of a second of a Pi's CPU.
import type { WifiClients } from '../api-types.js';
import { HelperRefused, HelperUnavailable, type RootHelper } from '../services/root-helper.js';
import { known, unknown, type Reading } from './reading.js';

/** The Pi 4's internal radio (CYW43455): about 19 clients with the minimal firmware, about 8 with the standard one. */
export const INTERNAL_CEILING = { minimal: 19, standard: 8 } as const;
/** From this share of the ceiling a warning is raised. */
export const WIFI_WARN_SHARE = 0.8;

interface StationsAnswer {
  interface: string;
  firmware: 'minimal' | 'standard';
  count: number;
}

export function wifiClients(a: StationsAnswer): WifiClients {
  // The internal radio is wlan0 on a Pi (provisioning's default); anything else is a USB adapter.
  if (a.interface !== 'wlan0') return { interface: a.interface, connected: a.count, ceiling: null, radio: 'usb_adapter' };
  return {
    interface: a.interface,
    connected: a.count,
    ceiling: INTERNAL_CEILING[a.firmware],
    radio: a.firmware === 'minimal' ? 'internal_minimal' : 'internal_standard',
  };
}

export class WifiReader {
  private last: { at: number; reading: Reading<WifiClients> } | null = null;

  constructor(
    private readonly helper: RootHelper,
    private readonly now: () => number,
    private readonly maxAgeMs = 15_000,
  ) {}

  async read(): Promise<Reading<WifiClients>> {
    const t = this.now();
    if (this.last && t - this.last.at >= 0 && t - this.last.at < this.maxAgeMs) return this.last.reading;
    let reading: Reading<WifiClients>;
    try {
      reading = known(wifiClients(await this.helper.ask<StationsAnswer>('stations')));
    } catch (err) {
      if (err instanceof HelperRefused && err.code === 'ap_down') reading = unknown('ap_down', { error: err.message });
      else if (err instanceof HelperUnavailable) reading = unknown('no_helper', { socket: this.helper.socketPath });
      else reading = unknown('helper_failed', { error: err instanceof Error ? err.message : String(err) });
    }
    this.last = { at: t, reading };
    return reading;
  }
}
