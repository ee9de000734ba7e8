// Step 90: the first-boot file on the boot partition, its unit, and the base config it overlays.
import { BASE_CONFIG_FILE, FIRSTBOOT_FILE } from '../contract.js';
import type { Step } from '../lib/step.js';
import { ensureEnabled } from '../lib/units.js';
import { renderFirstbootService } from '../templates/firstboot-service.js';
import { renderFirstbootTxt } from '../templates/firstboot-txt.js';

export const step: Step = {
  id: '90-firstboot',
  title: 'first-boot configuration',
  async run({ config, target }) {
    // The values first boot falls back to for any key that is wrong in the file (0600: passphrase).
    await target.writeFile(BASE_CONFIG_FILE, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600, secret: true });
    // FAT ignores modes; 0644 matters only for a root that is not yet on its partition.
    await target.writeFile(FIRSTBOOT_FILE, renderFirstbootTxt(config), { mode: 0o644, createOnly: true, secret: config.wifi.passphrase !== null });
    await target.writeFile('/etc/systemd/system/homedrive-firstboot.service', renderFirstbootService(), { mode: 0o644 });
    await ensureEnabled(target, 'homedrive-firstboot.service');
  },
};
