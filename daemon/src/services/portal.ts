// Captive portal: which clients accepted the landing page, which requests are OS connectivity probes, and what each OS expects.
import type { Clock } from './clock.js';

/** What an operating system must read to believe it is online. */
export interface ProbeAnswer {
  status: 200 | 204;
  body: string;
  contentType?: string;
  headers?: Record<string, string>;
}

// NetworkManager (nm-connectivity.c, `#define HEADER_STATUS_ONLINE "X-NetworkManager-Status: online\r\n"`)
// takes this header alone as success, whatever its configured `response`; Ubuntu's server relies on it.
const NM_ONLINE = { 'X-NetworkManager-Status': 'online' };

const EMPTY_204: ProbeAnswer = { status: 204, body: '' };
// Apple CNA compares the body with this page (served by captive.apple.com/hotspot-detect.html).
const APPLE_SUCCESS: ProbeAnswer = {
  status: 200,
  body: '<HTML><HEAD><TITLE>Success</TITLE></HEAD><BODY>Success</BODY></HTML>',
  contentType: 'text/html',
};
const text = (body: string, contentType = 'text/plain'): ProbeAnswer => ({ status: 200, body, contentType });

interface Probe {
  /** Host names (lower case, no port); undefined: any host. */
  hosts?: readonly string[];
  /** Exact paths; undefined: any path on those hosts. */
  paths?: readonly string[];
  answer: ProbeAnswer;
}

/**
 * The probes, first match wins. Expected answers as the clients check them:
 * Android/ChromeOS NetworkMonitor wants 204 (any host: it rotates gstatic, google, android.com);
 * Apple checks for the "Success" page; Windows NCSI compares connecttest.txt / ncsi.txt exactly;
 * Firefox captivedetect.canonicalContent is the meta-refresh line (Mozilla's own captive-portal tests use
 * that exact SUCCESS_STRING), success.txt is "success\n"; GNOME's nmcheck answers "NetworkManager is online\n";
 * Ubuntu's connectivity-check.ubuntu.com answers 204 with X-NetworkManager-Status: online.
 */
export const PROBES: readonly Probe[] = [
  { paths: ['/generate_204', '/gen_204'], answer: EMPTY_204 },
  { paths: ['/hotspot-detect.html', '/library/test/success.html'], answer: APPLE_SUCCESS },
  // iOS also probes other Apple-run names with random paths.
  {
    hosts: ['captive.apple.com', 'www.appleiphonecell.com', 'www.airport.us', 'www.ibook.info', 'www.itools.info', 'www.thinkdifferent.us'],
    answer: APPLE_SUCCESS,
  },
  { paths: ['/connecttest.txt'], answer: text('Microsoft Connect Test') },
  { paths: ['/ncsi.txt'], answer: text('Microsoft NCSI') },
  { hosts: ['detectportal.firefox.com'], paths: ['/success.txt'], answer: text('success\n') },
  {
    hosts: ['detectportal.firefox.com'],
    paths: ['/canonical.html', '/'],
    answer: text('<meta http-equiv="refresh" content="0;url=https://support.mozilla.org/kb/captive-portal"/>', 'text/html'),
  },
  { hosts: ['nmcheck.gnome.org'], answer: { ...text('NetworkManager is online\n'), headers: NM_ONLINE } },
  { hosts: ['connectivity-check.ubuntu.com'], answer: { ...EMPTY_204, headers: NM_ONLINE } },
  // Arch's NetworkManager default.
  { hosts: ['ping.archlinux.org'], answer: { ...text('This domain is used for connectivity checking (captive portal detection).\n'), headers: NM_ONLINE } },
];

/** The probe a request is, or null. `host` without its port, lower case. */
export function probeFor(host: string, path: string): ProbeAnswer | null {
  for (const p of PROBES) {
    if (p.hosts && !p.hosts.includes(host)) continue;
    if (p.paths && !p.paths.includes(path)) continue;
    return p.answer;
  }
  return null;
}

/** "Host" header → bare lower-case name: port and IPv6 brackets handled. */
export function hostName(header: string | undefined): string {
  const h = (header ?? '').trim().toLowerCase();
  if (h.startsWith('[')) {
    const end = h.indexOf(']');
    return end < 0 ? h : h.slice(0, end + 1);
  }
  const colon = h.indexOf(':');
  return (colon < 0 ? h : h.slice(0, colon)).replace(/\.$/, '');
}

export interface PortalSettings {
  /** The device's address on its access point ('' when not set: no host redirect). */
  portalAddress: string;
  hostname: string;
  /** The listening address (0.0.0.0 means all). */
  listenHost: string;
  port: number;
}

export class Portal {
  private readonly accepted = new Map<string, number>();

  constructor(
    readonly settings: PortalSettings,
    private readonly clock: Clock,
    /** How long an acceptance lasts: the DHCP lease time, after which the address may be someone else's. */
    readonly ttlMs = 24 * 3600 * 1000,
    /** Bound on remembered clients: a /24 has 253 of them, and this table lives in RAM. */
    private readonly maxClients = 2048,
  ) {}

  /** Names that mean this device, whatever the client typed. */
  isOwnHost(host: string): boolean {
    const s = this.settings;
    if (host === '' || host === 'localhost' || host === '127.0.0.1' || host === '[::1]') return true;
    if (host === s.hostname || host === `${s.hostname}.local`) return true;
    if (s.portalAddress !== '' && host === s.portalAddress) return true;
    return s.listenHost !== '0.0.0.0' && s.listenHost !== '::' && host === s.listenHost;
  }

  /** Is a request for a foreign name redirected to the landing page? Only on the appliance (address set). */
  get redirectsForeignHosts(): boolean {
    return this.settings.portalAddress !== '';
  }

  /** The address people type, as a URL origin: the AP address, else the listening one, else the name. */
  origin(): string {
    const s = this.settings;
    const host = s.portalAddress || (s.listenHost !== '0.0.0.0' && s.listenHost !== '::' ? s.listenHost : s.hostname);
    return `http://${host}${s.port === 80 ? '' : `:${s.port}`}`;
  }

  accept(ip: string): number {
    const until = this.clock.now() + this.ttlMs;
    this.accepted.delete(ip); // re-inserted last: Map order is the eviction order
    this.accepted.set(ip, until);
    while (this.accepted.size > this.maxClients) this.accepted.delete(this.accepted.keys().next().value!);
    return until;
  }

  /** Milliseconds left for this client, 0 if it has not accepted (or it expired). */
  remaining(ip: string): number {
    const until = this.accepted.get(ip);
    if (until === undefined) return 0;
    const left = until - this.clock.now();
    if (left <= 0) {
      this.accepted.delete(ip);
      return 0;
    }
    return left;
  }

  isAccepted(ip: string): boolean {
    return this.remaining(ip) > 0;
  }
}
