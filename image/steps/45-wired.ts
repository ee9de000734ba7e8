// Step 45: the wired port (eth0) takes an address by DHCP, so an admin can reach the drive through a cable and QEMU's user network works.
import { installFile } from '../lib/files.js';
import { progress, type ImageStep } from '../lib/step.js';

export const step: ImageStep = {
  id: '45-wired',
  title: 'wired network (DHCP on eth0)',
  async run(ctx) {
    // Provisioning leaves eth0 to "whatever manages it" (ifupdown on Debian, NetworkManager on Raspberry Pi OS);
    // this image has neither, so systemd-networkd (already enabled by provisioning for the AP) takes it.
    await installFile(ctx, step, '20-homedrive-wired.network', '/etc/systemd/network/20-homedrive-wired.network', { mode: 0o644 });
    progress(ctx, 'eth0: DHCP via systemd-networkd');
  },
};
