// Step 20: hostapd on the access-point interface, the regulatory country, and the radio unblocked.
import { SERVICE_USER } from '../contract.js';
import type { Step } from '../lib/step.js';
import { ensureEnabled } from '../lib/units.js';
import { renderHostapdConf } from '../templates/hostapd-conf.js';
import { renderHostapdDropin } from '../templates/hostapd-dropin.js';
import { renderRegdomModprobe } from '../templates/regdom-modprobe.js';

export const step: Step = {
  id: '20-wifi',
  title: 'Wi-Fi access point (hostapd)',
  async run({ config, target }) {
    // 0640 root:homedrive: the file holds the WPA2 passphrase, which only the daemon may read besides root
    // (it prints the network's name and passphrase on the login cards of an administrator's class).
    await target.writeFile('/etc/hostapd/hostapd.conf', renderHostapdConf(config), {
      mode: 0o640,
      group: SERVICE_USER,
      secret: config.wifi.passphrase !== null,
      restarts: ['hostapd.service'],
    });
    await target.writeFile('/etc/systemd/system/hostapd.service.d/homedrive.conf', renderHostapdDropin(config), { mode: 0o644, restarts: ['hostapd.service'] });
    await target.writeFile('/etc/modprobe.d/homedrive-wifi.conf', renderRegdomModprobe(config), { mode: 0o644 });
    // Debian masks hostapd until it has a configuration; the unit itself comes from the package.
    await ensureEnabled(target, 'hostapd.service');
  },
};
