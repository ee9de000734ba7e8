// Step 30: the static address on the access-point interface (systemd-networkd; NetworkManager told to leave it).
import type { Step } from '../lib/step.js';
import { ensureEnabled } from '../lib/units.js';
import { renderNetworkdAp } from '../templates/networkd-ap.js';
import { renderNetworkManagerUnmanaged } from '../templates/networkmanager-unmanaged.js';

export const step: Step = {
  id: '30-network',
  title: 'static address on the access-point interface',
  async run({ config, target }) {
    await target.writeFile('/etc/systemd/network/10-homedrive-ap.network', renderNetworkdAp(config), { mode: 0o644, restarts: ['systemd-networkd.service'] });
    // Harmless where NetworkManager is absent, and ready if it is installed later.
    await target.writeFile('/etc/NetworkManager/conf.d/90-homedrive-ap.conf', renderNetworkManagerUnmanaged(config), {
      mode: 0o644,
      restarts: ['NetworkManager.service'],
    });
    // Enabling networkd also enables its wait-online unit, which would wait for links it is not meant to.
    await ensureEnabled(target, 'systemd-networkd.service');
    await target.symlink('/etc/systemd/system/systemd-networkd-wait-online.service', '/dev/null');
  },
};
