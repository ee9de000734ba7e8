// Step 40: dnsmasq for DHCP, catch-all DNS and the captive-portal DHCP option.
import type { Step } from '../lib/step.js';
import { ensureEnabled } from '../lib/units.js';
import { renderDnsmasqConf } from '../templates/dnsmasq-conf.js';

export const step: Step = {
  id: '40-dnsmasq',
  title: 'DHCP and DNS (dnsmasq)',
  async run({ config, target }) {
    await target.writeFile('/etc/dnsmasq.d/homedrive.conf', renderDnsmasqConf(config), { mode: 0o644, restarts: ['dnsmasq.service'] });
    await ensureEnabled(target, 'dnsmasq.service');
  },
};
