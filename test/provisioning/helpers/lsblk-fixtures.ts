// lsblk output as a Raspberry Pi 4 prints it (util-linux 2.38, `lsblk --json --bytes --output
// NAME,PATH,TYPE,SIZE,MODEL,VENDOR,SERIAL,TRAN,RM,RO,HOTPLUG,FSTYPE,LABEL,UUID,MOUNTPOINT,MOUNTPOINTS,PKNAME`):
// the SD card (mmcblk0: firmware and root), the storage SSD on USB (sda1, ext4 HOMEDRIVE, mounted at
// the storage mount point) and an exFAT stick (sdb1, "CLE USB", not mounted). A zram swap as Debian's
// zram-tools makes, and an empty card reader slot (0 bytes), both never listed.

type Dev = Record<string, unknown> & { children?: Dev[] };

function dev(name: string, fields: Record<string, unknown>, children?: Dev[]): Dev {
  const base: Dev = {
    name,
    path: `/dev/${name}`,
    type: 'disk',
    size: 0,
    model: null,
    vendor: null,
    serial: null,
    tran: null,
    rm: false,
    ro: false,
    hotplug: false,
    fstype: null,
    label: null,
    uuid: null,
    mountpoint: null,
    mountpoints: [null],
    pkname: null,
    ...fields,
  };
  if (children) base.children = children;
  return base;
}

export function sdCard(mounted = true): Dev {
  return dev('mmcblk0', { size: 31914983424, serial: '0x9f3a21b7' }, [
    dev('mmcblk0p1', {
      type: 'part',
      size: 268435456,
      fstype: 'vfat',
      label: 'RASPIFIRM',
      uuid: '4A1D-5C2B',
      mountpoint: mounted ? '/boot/firmware' : null,
      mountpoints: [mounted ? '/boot/firmware' : null],
      pkname: 'mmcblk0',
    }),
    dev('mmcblk0p2', {
      type: 'part',
      size: 31645499392,
      fstype: 'ext4',
      label: 'RASPIROOT',
      uuid: '7c2e1f0a-53b8-4a4e-9c1d-2f9b8e6a0d11',
      mountpoint: mounted ? '/' : null,
      mountpoints: [mounted ? '/' : null],
      pkname: 'mmcblk0',
    }),
  ]);
}

export function ssd(mountpoint: string | null = '/srv/homedrive'): Dev {
  return dev('sda', { size: 1000204886016, model: 'PSSD T7         ', vendor: 'Samsung ', serial: 'S5SXNS0R812345', tran: 'usb', hotplug: true }, [
    dev('sda1', {
      type: 'part',
      size: 1000203091968,
      fstype: 'ext4',
      label: 'HOMEDRIVE',
      uuid: '0e5b8c1a-3f6d-4a29-b8e7-5d2c1a9f4e30',
      mountpoint,
      mountpoints: [mountpoint],
      pkname: 'sda',
    }),
  ]);
}

export function stick(mountpoint: string | null = null): Dev {
  return dev('sdb', { size: 30765219840, model: 'Ultra Fit', vendor: 'SanDisk ', serial: '4C530001230517117282', tran: 'usb', rm: true, hotplug: true }, [
    dev('sdb1', {
      type: 'part',
      size: 30764171264,
      fstype: 'exfat',
      label: 'CLE USB',
      uuid: '6A3E-91F2',
      mountpoint,
      mountpoints: [mountpoint],
      pkname: 'sdb',
    }),
  ]);
}

/** A new, empty SSD: no partition table, no file system. */
export function blankSsd(name = 'sdc'): Dev {
  return dev(name, { size: 500107862016, model: 'Extreme SSD', vendor: 'SanDisk ', tran: 'usb', hotplug: true });
}

export const zram = dev('zram0', { size: 536870912, mountpoint: '[SWAP]', mountpoints: ['[SWAP]'] });
export const emptyReader = dev('sdd', { size: 0, model: 'SD/MMC', vendor: 'Generic ', tran: 'usb', rm: true, hotplug: true });

export function lsblk(...devices: Dev[]): { blockdevices: Dev[] } {
  return { blockdevices: devices };
}

/** The Pi as the issue describes it. */
export const PI = lsblk(sdCard(), ssd(), stick(), zram, emptyReader);
