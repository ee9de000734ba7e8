// Step 50: the data SSD mounted by label at the data root, surviving its absence and hot-plug.
import { DATA_ROOT } from '../contract.js';
import type { Step } from '../lib/step.js';
import { ensureEnabled } from '../lib/units.js';
import { renderFstab } from '../templates/fstab.js';
import { renderStorageService } from '../templates/storage-service.js';
import { renderUdevSsdRules } from '../templates/udev-ssd-rules.js';

export const step: Step = {
  id: '50-storage',
  title: 'data SSD mount',
  async run({ config, target }) {
    // Root-owned 0755 on the SD card: the daemon cannot write here unless the SSD is mounted over it.
    await target.ensureDir(DATA_ROOT, { mode: 0o755 });
    const fstab = (await target.readText('/etc/fstab')) ?? '';
    await target.writeFile('/etc/fstab', renderFstab(fstab, config), { mode: 0o644 });
    await target.writeFile('/etc/udev/rules.d/90-homedrive-ssd.rules', renderUdevSsdRules(), { mode: 0o644 });
    await target.writeFile('/etc/systemd/system/homedrive-storage.service', renderStorageService(), { mode: 0o644 });
    await ensureEnabled(target, 'homedrive-storage.service');
  },
};
