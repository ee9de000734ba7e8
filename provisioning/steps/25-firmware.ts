// Step 25: the Pi 4 radio's firmware variant ("minimal" carries ~19-20 clients instead of ~8-10).
import { $ } from 'zx';
import type { Step } from '../lib/step.js';

// Raspberry Pi OS's firmware-brcm80211 registers both Cypress builds under this alternative;
// Debian's own package (20250410-2 in trixie) ships only cypress/cyfmac43455-sdio.bin (the standard build).
export const FIRMWARE_ALTERNATIVE = 'cyfmac43455-sdio.bin';

/** Parses a dpkg alternatives admin file: the link, then the list of candidate paths. */
export function parseAlternatives(text: string): { link: string; choices: string[] } | null {
  const lines = text.split('\n');
  const link = lines[1];
  if (!link) return null;
  const choices: string[] = [];
  // Slave links come as name/path pairs after the master link until an empty line.
  let i = 2;
  while (i < lines.length && lines[i] !== '') i += 2;
  for (i += 1; i < lines.length && lines[i] !== ''; i += 2) choices.push(lines[i]!);
  return { link, choices };
}

export const step: Step = {
  id: '25-firmware',
  title: 'Wi-Fi firmware variant',
  async run({ config, target }) {
    const admin = await target.readText(`/var/lib/dpkg/alternatives/${FIRMWARE_ALTERNATIVE}`);
    const parsed = admin === null ? null : parseAlternatives(admin);
    const variant = config.wifi.firmware;
    const wanted = parsed?.choices.find((c) => c.includes(`-${variant}`));
    if (!parsed || !wanted) {
      target.note(
        'firmware',
        variant === 'minimal'
          ? 'no "minimal" Cypress firmware in this root (Debian\'s firmware-brcm80211 lacks it; Raspberry Pi OS\'s has it): the internal radio keeps its default firmware, so use a USB Wi-Fi adapter for groups above ~8 clients'
          : 'standard firmware in use',
      );
      return;
    }
    const current = await $({ quiet: true, nothrow: true })`readlink ${await target.resolve(`/etc/alternatives/${FIRMWARE_ALTERNATIVE}`)}`;
    if (current.stdout.trim() === wanted) {
      target.record({ kind: 'unchanged', subject: `alternative ${FIRMWARE_ALTERNATIVE}`, detail: wanted });
      return;
    }
    target.record({ kind: 'updated', subject: `alternative ${FIRMWARE_ALTERNATIVE}`, detail: `-> ${wanted} (takes effect at the next boot)` });
    if (target.dryRun) return;
    // update-alternatives keeps the choice across firmware package upgrades; a bare symlink would not survive.
    const rootArg = target.live ? [] : ['--root', target.root];
    await $({ quiet: true })`update-alternatives ${rootArg} --set ${FIRMWARE_ALTERNATIVE} ${wanted}`;
  },
};
