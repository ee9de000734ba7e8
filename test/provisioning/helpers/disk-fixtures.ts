// The disks a Raspberry Pi 4 shows (the SD card, the storage SSD, an exFAT stick, a FAT stick with an
// ISO 9660 partition, a blank disk), as disks-job.js list prints them, and stand-ins for systemd-run and
// systemctl: systemd-run records its arguments in <where>/calls and, for the listing unit, prints
// <where>/disks.json; it fails to start a job while <where>/fail-start exists; systemctl is-active
// prints <where>/unit-state (inactive when absent).
import type { Disk } from '../../../provisioning/helper/disks.js';

export const PI_DISKS: Disk[] = [
  {
    path: '/dev/mmcblk0',
    name: 'mmcblk0',
    model: null,
    displayName: '/dev/mmcblk0',
    sizeBytes: 31_914_983_424,
    transport: 'mmc',
    removable: false,
    readOnly: false,
    partitions: [
      { path: '/dev/mmcblk0p1', fsType: 'vfat', label: 'bootfs', sizeBytes: 536_870_912, mountpoint: '/boot/firmware' },
      { path: '/dev/mmcblk0p2', fsType: 'ext4', label: 'rootfs', sizeBytes: 31_000_000_000, mountpoint: '/' },
    ],
    role: 'system',
  },
  {
    path: '/dev/sda',
    name: 'sda',
    model: 'Samsung SSD 870',
    displayName: '/dev/sda Samsung SSD 870',
    sizeBytes: 500_107_862_016,
    transport: 'usb',
    removable: true,
    readOnly: false,
    partitions: [{ path: '/dev/sda1', fsType: 'ext4', label: 'HOMEDRIVE', sizeBytes: 500_000_000_000, mountpoint: '/srv/homedrive' }],
    role: 'storage',
  },
  {
    path: '/dev/sdb',
    name: 'sdb',
    model: 'Cruzer Blade',
    displayName: '/dev/sdb Cruzer Blade',
    sizeBytes: 16_008_609_792,
    transport: 'usb',
    removable: true,
    readOnly: false,
    partitions: [{ path: '/dev/sdb1', fsType: 'exfat', label: 'CLE USB', sizeBytes: 16_000_000_000, mountpoint: null }],
    role: 'other',
  },
  {
    path: '/dev/sdc',
    name: 'sdc',
    model: 'Flash Disk',
    displayName: '/dev/sdc Flash Disk',
    sizeBytes: 8_000_000_000,
    transport: 'usb',
    removable: true,
    readOnly: false,
    partitions: [
      { path: '/dev/sdc1', fsType: 'vfat', label: 'KINGSTON', sizeBytes: 7_000_000_000, mountpoint: null },
      { path: '/dev/sdc2', fsType: 'iso9660', label: null, sizeBytes: 900_000_000, mountpoint: null },
    ],
    role: 'other',
  },
  {
    path: '/dev/sdd',
    name: 'sdd',
    model: 'WD Elements',
    displayName: '/dev/sdd WD Elements',
    sizeBytes: 1_000_204_886_016,
    transport: 'usb',
    removable: true,
    readOnly: false,
    partitions: [],
    role: 'other',
  },
];

export function standIns(where: string, script: (name: string, body: string) => string) {
  return {
    systemdRun: script(
      'systemd-run',
      `echo "systemd-run $*" >> ${where}/calls
for last; do :; done
if [ "$last" = list ]; then cat ${where}/disks.json; exit 0; fi
if [ -e ${where}/fail-start ]; then echo "Failed to start transient service unit: Access denied" >&2; exit 1; fi`,
    ),
    systemctl: script('systemctl', `echo "systemctl $*" >> ${where}/calls\ncat ${where}/unit-state 2>/dev/null || echo inactive`),
  };
}
