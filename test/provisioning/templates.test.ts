// Unit tests of every template: pure functions from the configuration to file text.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { renderAvahiService } from '../../provisioning/templates/avahi-service.js';
import { portalUri, renderDnsmasqConf } from '../../provisioning/templates/dnsmasq-conf.js';
import { renderPolkitRules } from '../../provisioning/templates/polkit-rules.js';
import { renderHelperService, renderHelperSocket, renderSettingsBootService } from '../../provisioning/templates/helper-units.js';
import { renderFirstbootService } from '../../provisioning/templates/firstboot-service.js';
import { renderFirstbootTxt } from '../../provisioning/templates/firstboot-txt.js';
import { renderFstab, ssdFstabLine } from '../../provisioning/templates/fstab.js';
import { renderHomedriveEnv } from '../../provisioning/templates/homedrive-env.js';
import { renderHomedriveService } from '../../provisioning/templates/homedrive-service.js';
import { renderHostapdConf } from '../../provisioning/templates/hostapd-conf.js';
import { renderHostapdDropin } from '../../provisioning/templates/hostapd-dropin.js';
import { renderHostname, renderHosts } from '../../provisioning/templates/hosts.js';
import { renderJournald } from '../../provisioning/templates/journald.js';
import { renderNetworkdAp } from '../../provisioning/templates/networkd-ap.js';
import { renderNetworkManagerUnmanaged } from '../../provisioning/templates/networkmanager-unmanaged.js';
import { renderRegdomModprobe } from '../../provisioning/templates/regdom-modprobe.js';
import { renderStorageService } from '../../provisioning/templates/storage-service.js';
import { renderSysusers } from '../../provisioning/templates/sysusers.js';
import { renderUdevSsdRules } from '../../provisioning/templates/udev-ssd-rules.js';
import { parseFirstbootFile } from '../../provisioning/lib/firstboot-file.js';
import { sampleConfig } from './helpers/fixtures.js';

function keyValues(text: string): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || !line.includes('=')) continue;
    const [key, ...rest] = line.split('=');
    map.set(key!, [...(map.get(key!) ?? []), rest.join('=')]);
  }
  return map;
}

test('hostapd: WPA2-PSK with CCMP, hex SSID, country and 2.4 GHz defaults', () => {
  const conf = keyValues(renderHostapdConf(sampleConfig({ wifi: { ssid: 'Salle 12 — école' } })));
  assert.deepEqual(conf.get('interface'), ['wlan0']);
  assert.deepEqual(conf.get('driver'), ['nl80211']);
  assert.deepEqual(conf.get('ssid2'), [Buffer.from('Salle 12 — école').toString('hex')]);
  assert.deepEqual(conf.get('country_code'), ['FR']);
  assert.deepEqual(conf.get('ieee80211d'), ['1']);
  assert.deepEqual(conf.get('hw_mode'), ['g']);
  assert.deepEqual(conf.get('channel'), ['6']);
  assert.deepEqual(conf.get('wpa'), ['2']);
  assert.deepEqual(conf.get('wpa_key_mgmt'), ['WPA-PSK']);
  assert.deepEqual(conf.get('rsn_pairwise'), ['CCMP']);
  assert.deepEqual(conf.get('wpa_passphrase'), ['correct horse battery']);
  assert.deepEqual(conf.get('ap_isolate'), ['1']);
  assert.equal(conf.get('ieee80211ac'), undefined);
});

test('hostapd: open network has no key management', () => {
  const conf = keyValues(renderHostapdConf(sampleConfig({ wifi: { passphrase: null } })));
  assert.deepEqual(conf.get('wpa'), ['0']);
  assert.equal(conf.get('wpa_passphrase'), undefined);
  assert.equal(conf.get('wpa_key_mgmt'), undefined);
});

test('hostapd: 5 GHz on UNII-1 with an 80 MHz block centred on 42', () => {
  const conf = keyValues(renderHostapdConf(sampleConfig({ wifi: { band: '5GHz', channel: 40, interface: 'wlan1' } })));
  assert.deepEqual(conf.get('interface'), ['wlan1']);
  assert.deepEqual(conf.get('hw_mode'), ['a']);
  assert.deepEqual(conf.get('channel'), ['40']);
  assert.deepEqual(conf.get('ht_capab'), ['[HT40-]']);
  assert.deepEqual(conf.get('ieee80211ac'), ['1']);
  assert.deepEqual(conf.get('vht_oper_centr_freq_seg0_idx'), ['42']);
  assert.deepEqual(keyValues(renderHostapdConf(sampleConfig({ wifi: { band: '5GHz' } }))).get('channel'), ['36']);
});

test('hostapd drop-in: rfkill unblock and binding to the interface device', () => {
  const text = renderHostapdDropin(sampleConfig({ wifi: { interface: 'wlx-usb0' } }));
  assert.match(text, /^ExecStartPre=-\/usr\/sbin\/rfkill unblock wlan$/m);
  assert.match(text, /^BindsTo=sys-subsystem-net-devices-wlx\\x2dusb0\.device$/m);
});

test('regulatory domain modprobe option', () => {
  assert.match(renderRegdomModprobe(sampleConfig({ wifi: { country: 'be' } })), /^options cfg80211 ieee80211_regdom=BE$/m);
});

test('networkd: static address, configured before hostapd brings the carrier up', () => {
  const text = renderNetworkdAp(sampleConfig({ network: { address: '192.168.50.1', dhcpStart: '192.168.50.10', dhcpEnd: '192.168.50.20' } }));
  assert.match(text, /^Name=wlan0$/m);
  assert.match(text, /^Address=192\.168\.50\.1\/24$/m);
  assert.match(text, /^ConfigureWithoutCarrier=yes$/m);
  assert.match(text, /^RequiredForOnline=no$/m);
});

test('NetworkManager leaves the AP interface unmanaged', () => {
  const text = renderNetworkManagerUnmanaged(sampleConfig({ wifi: { interface: 'wlan1' } }));
  assert.match(text, /^match-device=interface-name:wlan1$/m);
  assert.match(text, /^managed=0$/m);
});

test('dnsmasq: leases, catch-all DNS and the RFC 8910 option 114', () => {
  const config = sampleConfig();
  const conf = keyValues(renderDnsmasqConf(config));
  assert.equal(portalUri(config), 'http://10.42.0.1/api/captive');
  assert.deepEqual(conf.get('interface'), ['wlan0']);
  assert.deepEqual(conf.get('address'), ['/#/10.42.0.1', '/dns.msftncsi.com/131.107.255.255']);
  assert.deepEqual(conf.get('dhcp-range'), ['10.42.0.10,10.42.0.250,255.255.255.0,12h']);
  assert.ok(conf.get('dhcp-option')!.includes('114,"http://10.42.0.1/api/captive"'));
  assert.ok(conf.get('dhcp-option')!.includes('option:router,10.42.0.1'));
  assert.ok(renderDnsmasqConf(config).includes('\nno-resolv\n'));
});

test('homedrive.env carries exactly the daemon contract', () => {
  const env = keyValues(renderHomedriveEnv(sampleConfig({ hostname: 'classe-b' })));
  for (const [k, v] of Object.entries({
    HCD_HOST: '0.0.0.0',
    HCD_PORT: '80',
    HCD_DATA_DIR: '/srv/homedrive',
    HCD_DB: '/var/lib/homedrive/homedrive.db',
    HCD_REQUIRE_MOUNT: '1',
    HCD_PORTAL_ADDRESS: '10.42.0.1',
    HCD_HOSTNAME: 'classe-b',
  })) {
    assert.deepEqual(env.get(k), [v], k);
  }
});

test('homedrive.service: unprivileged, sandboxed, port 80 by capability, soft dependency on the SSD', () => {
  const unit = keyValues(renderHomedriveService());
  assert.deepEqual(unit.get('User'), ['homedrive']);
  assert.deepEqual(unit.get('ExecStart'), ['/opt/homedrive/node/bin/node /opt/homedrive/app/dist/daemon/src/main.js']);
  assert.deepEqual(unit.get('EnvironmentFile'), ['/etc/homedrive/homedrive.env']);
  assert.deepEqual(unit.get('AmbientCapabilities'), ['CAP_NET_BIND_SERVICE']);
  assert.deepEqual(unit.get('CapabilityBoundingSet'), ['CAP_NET_BIND_SERVICE']);
  assert.deepEqual(unit.get('NoNewPrivileges'), ['yes']);
  assert.deepEqual(unit.get('ProtectSystem'), ['strict']);
  assert.deepEqual(unit.get('ReadWritePaths'), ['-/srv/homedrive']);
  assert.deepEqual(unit.get('StateDirectory'), ['homedrive']);
  assert.deepEqual(unit.get('Restart'), ['on-failure']);
  assert.deepEqual(unit.get('Wants'), ['srv-homedrive.mount']);
  assert.match(unit.get('After')![0]!, /srv-homedrive\.mount/);
  assert.equal(unit.get('Requires'), undefined, 'a missing SSD must not stop the service');
  assert.equal(unit.get('BindsTo'), undefined);
});

test('sysusers: a system user with no login shell', () => {
  assert.match(renderSysusers(), /^u homedrive - "Home Container Drive daemon" \/var\/lib\/homedrive \/usr\/sbin\/nologin$/m);
});

test('fstab: SSD by label, nofail and a short device timeout; noatime added to SD mounts; block replaced', () => {
  const config = sampleConfig({ storage: { deviceTimeoutSec: 7 } });
  assert.equal(ssdFstabLine(config), 'LABEL=HOMEDRIVE /srv/homedrive ext4 noatime,nodev,nosuid,noexec,nofail,x-systemd.device-timeout=7s 0 2');
  const original = 'proc /proc proc defaults 0 0\nPARTUUID=abc-02 / ext4 defaults 0 1\nPARTUUID=abc-01 /boot/firmware vfat defaults,relatime 0 2\n';
  const once = renderFstab(original, config);
  assert.match(once, /^proc \/proc proc defaults 0 0$/m);
  assert.match(once, /^PARTUUID=abc-02\t\/\text4\tdefaults,noatime\t0\t1$/m);
  assert.match(once, /^PARTUUID=abc-01\t\/boot\/firmware\tvfat\tdefaults,noatime\t0\t2$/m);
  assert.match(renderFstab('/dev/sda1  /  ext4  noatime  0  1\n', config), /^\/dev\/sda1  \/  ext4  noatime  0  1$/m, 'an already right line is left as typed');
  assert.equal(renderFstab(once, config), once, 'idempotent');
  const changed = renderFstab(once, sampleConfig());
  assert.equal(changed.match(/LABEL=HOMEDRIVE/g)!.length, 1);
  assert.match(changed, /device-timeout=10s/);
});

test('udev rule: hot-plugged HOMEDRIVE ext4 pulls in the mount', () => {
  assert.match(renderUdevSsdRules(), /ENV\{ID_FS_LABEL\}=="HOMEDRIVE", ENV\{ID_FS_TYPE\}=="ext4", ENV\{SYSTEMD_WANTS\}\+="srv-homedrive\.mount"/);
});

test('storage service: only on a real mount point, bound to the mount', () => {
  const text = renderStorageService();
  assert.match(text, /^ConditionPathIsMountPoint=\/srv\/homedrive$/m);
  assert.match(text, /^BindsTo=srv-homedrive\.mount$/m);
  assert.match(text, /^WantedBy=srv-homedrive\.mount$/m);
  // systemd would expand a bare $ and % itself.
  assert.match(text, /\$\$\(stat -c %%U/);
});

test('avahi advertises HTTP on port 80', () => {
  const xml = renderAvahiService();
  assert.match(xml, /<type>_http\._tcp<\/type>/);
  assert.match(xml, /<port>80<\/port>/);
});

test('journald: volatile storage with a cap', () => {
  const text = renderJournald(sampleConfig({ journal: { runtimeMaxUse: '16M' } }));
  assert.match(text, /^Storage=volatile$/m);
  assert.match(text, /^RuntimeMaxUse=16M$/m);
});

test('hostname and hosts', () => {
  const config = sampleConfig({ hostname: 'classe-b' });
  assert.equal(renderHostname(config), 'classe-b\n');
  const hosts = renderHosts('127.0.0.1\tlocalhost\n127.0.1.1\told\n::1\tlocalhost\n', config);
  assert.equal(hosts, '127.0.0.1\tlocalhost\n127.0.1.1\tclasse-b\n::1\tlocalhost\n');
  assert.equal(renderHosts(hosts, config), hosts);
});

test('first-boot file: bilingual comments, every key, parsed back to the same values, no password', () => {
  const config = sampleConfig({ wifi: { ssid: 'Salle 12', country: 'BE' }, timezone: 'Europe/Brussels' });
  const text = renderFirstbootTxt(config);
  assert.match(text, /^# FR : /m);
  assert.match(text, /^# EN : /m);
  const parsed = parseFirstbootFile(text);
  assert.deepEqual(parsed.problems, []);
  assert.deepEqual(parsed.values, {
    wifi_ssid: 'Salle 12',
    wifi_passphrase: 'correct horse battery',
    wifi_country: 'BE',
    admin_username: 'admin',
    admin_password: '',
    hostname: 'homedrive',
    timezone: 'Europe/Brussels',
  });
});

test('first-boot unit: once, before the network services, on the boot partition', () => {
  const unit = keyValues(renderFirstbootService());
  assert.deepEqual(unit.get('ConditionPathExists'), ['/boot/firmware/homedrive.txt', '!/var/lib/homedrive/firstboot-status.json']);
  assert.match(unit.get('Before')![0]!, /hostapd\.service.*dnsmasq\.service.*homedrive\.service/);
  assert.deepEqual(unit.get('Type'), ['oneshot']);
  assert.deepEqual(unit.get('ExecStart'), ['/opt/homedrive/node/bin/node /opt/homedrive/app/dist/provisioning/firstboot.js']);
});

test('polkit: the service user may power off, restart and set the clock, and nothing else', () => {
  const rules = renderPolkitRules();
  const ids = [...rules.matchAll(/action\.id === "([^"]+)"/g)].map((m) => m[1]);
  assert.deepEqual(ids, [
    'org.freedesktop.login1.power-off',
    'org.freedesktop.login1.power-off-multiple-sessions',
    'org.freedesktop.login1.reboot',
    'org.freedesktop.login1.reboot-multiple-sessions',
    'org.freedesktop.timedate1.set-time',
  ]);
  assert.match(rules, /subject\.user === "homedrive"/);
  assert.match(rules, /polkit\.Result\.YES/);
});

test('root helper: a socket only root and the homedrive group reach, one sandboxed root process per connection', () => {
  const socket = renderHelperSocket();
  assert.match(socket, /^ListenStream=\/run\/homedrive-helper\.sock$/m);
  assert.match(socket, /^SocketUser=root$/m);
  assert.match(socket, /^SocketGroup=homedrive$/m);
  assert.match(socket, /^SocketMode=0660$/m);
  assert.match(socket, /^Accept=yes$/m);
  assert.match(socket, /^WantedBy=sockets\.target$/m);
  const service = renderHelperService();
  assert.match(service, /^ExecStart=\/opt\/homedrive\/node\/bin\/node \/opt\/homedrive\/app\/dist\/provisioning\/helper\/main\.js$/m);
  assert.match(service, /^StandardInput=socket$/m);
  assert.match(service, /^StandardOutput=socket$/m);
  assert.match(service, /^CapabilityBoundingSet=$/m);
  assert.match(service, /^RestrictAddressFamilies=AF_UNIX$/m);
  assert.match(service, /^ProtectSystem=strict$/m);
  assert.doesNotMatch(service, /^User=/m);
  // hostapd answers hostapd_cli at a path in the host's /tmp: a private /tmp would lose every answer.
  assert.doesNotMatch(service, /^PrivateTmp=/m);
  assert.match(service, /^ReadWritePaths=\/tmp$/m);
  // Its one place to write: the settings change awaiting confirmation, root only.
  assert.match(service, /^StateDirectory=homedrive-settings homedrive-disks homedrive-update$/m);
  assert.match(service, /^SupplementaryGroups=homedrive$/m);
  assert.match(service, /^StateDirectoryMode=0700$/m);
});

test('settings left unconfirmed at a power cut come back at boot, before the radio, DHCP and the daemon read them', () => {
  const unit = renderSettingsBootService();
  assert.match(unit, /^ConditionPathExists=\/var\/lib\/homedrive-settings\/pending\.json$/m);
  assert.match(unit, /^ExecStart=\/opt\/homedrive\/node\/bin\/node \/opt\/homedrive\/app\/dist\/provisioning\/settings\.js revert$/m);
  assert.match(unit, /^Before=.*hostapd\.service.*dnsmasq\.service.*homedrive\.service/m);
  assert.match(unit, /^Environment=HCD_SETTINGS_NO_RESTART=1$/m, 'no restart job from inside the boot transaction');
  assert.match(unit, /^WantedBy=multi-user\.target$/m);
});
