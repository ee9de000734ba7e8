// Step 70: <hostname>.local and a DNS-SD record for the web UI through avahi (useful on a wired network).
import type { Step } from '../lib/step.js';
import { ensureEnabled } from '../lib/units.js';
import { renderAvahiService } from '../templates/avahi-service.js';

export const step: Step = {
  id: '70-avahi',
  title: 'mDNS (avahi)',
  async run({ target }) {
    await target.writeFile('/etc/avahi/services/homedrive.service', renderAvahiService(), { mode: 0o644 });
    await ensureEnabled(target, 'avahi-daemon.service');
  },
};
