// Step 00: the Debian packages the appliance needs must already be installed in the root.
import type { Step } from '../lib/step.js';

// systemd-networkd ships inside "systemd" on Debian 13 and Raspberry Pi OS (trixie).
// polkitd and dbus: the daemon powers off and sets the clock through logind and timedated.
export const REQUIRED_PACKAGES = ['systemd', 'udev', 'dbus', 'polkitd', 'hostapd', 'dnsmasq', 'avahi-daemon', 'fake-hwclock', 'rfkill', 'tzdata'] as const;

export function installedPackages(dpkgStatus: string): Set<string> {
  const installed = new Set<string>();
  for (const stanza of dpkgStatus.split(/\n\n+/)) {
    const name = /^Package: (\S+)$/m.exec(stanza)?.[1];
    if (name && /^Status: install ok installed$/m.test(stanza)) installed.add(name);
  }
  return installed;
}

export const step: Step = {
  id: '00-packages',
  title: 'required packages',
  async run({ target }) {
    const status = await target.readText('/var/lib/dpkg/status');
    if (status === null) throw new Error(`${target.root} has no /var/lib/dpkg/status: not a Debian root`);
    const installed = installedPackages(status);
    const missing = REQUIRED_PACKAGES.filter((p) => !installed.has(p));
    if (missing.length > 0) {
      const how = target.live ? `apt-get install ${missing.join(' ')}` : `include them when building the root (mmdebstrap --include=${missing.join(',')})`;
      throw new Error(`missing packages: ${missing.join(', ')}; ${how}`);
    }
    target.record({ kind: 'unchanged', subject: 'packages', detail: REQUIRED_PACKAGES.join(' ') });
  },
};
