// Step 45: the wired port (eth0) takes an address by DHCP, so an admin can reach the drive through a cable and QEMU's user network works.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { progress, type ImageStep } from '../lib/step.js';

// Provisioning leaves eth0 to "whatever manages it" (ifupdown on Debian, NetworkManager on Raspberry Pi OS);
// this image has neither, so systemd-networkd (already enabled by provisioning for the AP) takes it.
export const WIRED_NETWORK = `# Written by the Home Container Drive image builder (image/steps/45-wired.ts).
[Match]
Name=eth0 end0

[Network]
DHCP=yes
# A laptop cabled straight to the Pi (no DHCP server) still reaches it at <hostname>.local.
LinkLocalAddressing=yes
# No cable is the normal case: never hold the boot for it (wait-online is masked by provisioning anyway).
[Link]
RequiredForOnline=no
`;

export const step: ImageStep = {
  id: '45-wired',
  title: 'wired network (DHCP on eth0)',
  async run(ctx) {
    const file = path.join(ctx.paths.root, 'etc/systemd/network/20-homedrive-wired.network');
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, WIRED_NETWORK, { mode: 0o644 });
    progress(ctx, 'eth0: DHCP via systemd-networkd');
  },
};
