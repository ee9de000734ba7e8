// Unit tests of the pure parts of accounts in bulk: lists and CSV, usernames from names, passwords, the WIFI: string.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { USERNAME_RULE, checkPassword } from '../../../daemon/src/services/accounts.js';
import { KID_PASSWORD_BITS, WORDS, kidPassword } from '../../../daemon/src/services/kid-passwords.js';
import { parseRoster, roleFromText, splitCsvLine, uniqueUsername, usernameFromName } from '../../../daemon/src/services/roster.js';
import { parseHostapdConf, wifiQrString } from '../../../daemon/src/services/wifi.js';

test('usernames from real names: accents folded, within USERNAME_RULE', () => {
  const cases: [string, string | null][] = [
    ['Élodie Martin', 'elodie-martin'],
    ['  MARTIN   Élodie ', 'martin-elodie'],
    ['Zoë Łukasz-Ørsted', 'zoe-lukasz-orsted'],
    ['Chloé D’Artagnan', 'chloe-dartagnan'],
    ['Œdipe Straße', 'oedipe-strasse'],
    ["Aïssa N'Diaye", 'aissa-ndiaye'],
    ['Ñandú Çelik', 'nandu-celik'],
    ['李小龙', null],
    ['X', null],
    ['Maximilien-Alexandre de La Tour d’Auvergne', 'maximilien-alexandre-de-la-tour'],
  ];
  for (const [name, want] of cases) {
    const got = usernameFromName(name);
    assert.equal(got, want, name);
    if (got) assert.match(got, USERNAME_RULE);
  }
  const taken = new Set(['elodie-martin', 'elodie-martin-2']);
  assert.equal(
    uniqueUsername('elodie-martin', (n) => taken.has(n)),
    'elodie-martin-3',
  );
  const long = 'a'.repeat(32);
  assert.equal(
    uniqueUsername(long, (n) => n === long),
    `${'a'.repeat(30)}-2`,
  );
});

test('a plain list: one name a line, BOM, CRLF and blank lines', () => {
  const r = parseRoster('\uFEFFÉlodie Martin\r\n\r\nLéo Dupont\r\n  \nInès\n');
  assert.equal(r.format, 'list');
  assert.deepEqual(
    r.rows.map((x) => [x.line, x.name]),
    [
      [1, 'Élodie Martin'],
      [3, 'Léo Dupont'],
      [5, 'Inès'],
    ],
  );
});

test('CSV: ";" and "," separators, a header in French or English, quotes, other columns ignored', () => {
  const fr = parseRoster('\uFEFFNom;Prénom;Date de naissance;Classe\nMARTIN;Élodie;2015-03-02;CM2 B\n"DUPONT; fils";Léo;2015-01-01;CM2 B\n');
  assert.deepEqual([fr.format, fr.separator, fr.header], ['csv', ';', true]);
  assert.deepEqual(
    fr.rows.map((x) => [x.line, x.name, x.group]),
    [
      [2, 'Élodie MARTIN', 'CM2 B'],
      [3, 'Léo DUPONT; fils', 'CM2 B'],
    ],
  );
  const en = parseRoster('name,role,group\n"Martin, Élodie",advanced,Team A\nLéo Dupont,,\n');
  assert.deepEqual([en.separator, en.header], [',', true]);
  assert.deepEqual(en.rows[0], { line: 2, name: 'Martin, Élodie', role: 'advanced', group: 'Team A' });
  assert.deepEqual(en.rows[1], { line: 3, name: 'Léo Dupont' });
  const positional = parseRoster('Élodie Martin;user;CM2\nLéo;avancé\n');
  assert.equal(positional.header, false);
  assert.deepEqual(positional.rows[1], { line: 2, name: 'Léo', role: 'avancé' });
  const tabs = parseRoster('Prénom\tNom\nÉlodie\tMartin\n');
  assert.deepEqual(tabs.rows, [{ line: 2, name: 'Élodie Martin' }]);
  assert.deepEqual(parseRoster('classe;role\nCM2;user\n').errors, [{ line: 1, message: 'The header row has no name column (name, nom, prénom…).' }]);
  assert.equal(parseRoster('a;"b\n').errors[0]!.line, 1);
  assert.deepEqual(splitCsvLine('"say ""hi""";x', ';'), ['say "hi"', 'x']);
  assert.equal(splitCsvLine('"open;x', ';'), null);
  // A pupil whose name merely starts like a column's is not a header.
  assert.equal(parseRoster('Nomvula Dlamini\nClassen Paul\n').rows.length, 2);
  assert.deepEqual([roleFromText('Avancé'), roleFromText('ADMIN'), roleFromText('utilisateur'), roleFromText('teacher')], ['advanced', 'admin', 'user', null]);
});

test('generated passwords: 3 words and 2 digits, no l/1/o/0, accepted by the password rules', () => {
  assert.equal(WORDS.length, 256);
  assert.equal(new Set(WORDS).size, 256);
  for (const w of WORDS) assert.match(w, /^[a-km-npr-z]{3,5}$/, w);
  assert.equal(KID_PASSWORD_BITS, 30);
  for (let i = 0; i < 200; i++) {
    const p = kidPassword();
    assert.match(p, /^[a-z]{3,5}-[a-z]{3,5}-[a-z]{3,5}-[2-9]{2}$/);
    assert.doesNotMatch(p, /[lo01]/);
    assert.equal(checkPassword(p), p);
  }
});

test('WIFI: QR string escapes \\ ; , : and "', () => {
  assert.equal(wifiQrString('Classe B', 'bonjour123'), 'WIFI:T:WPA;S:Classe B;P:bonjour123;;');
  assert.equal(wifiQrString('a;b"c', 'p;a"s\\s:w,d'), 'WIFI:T:WPA;S:a\\;b\\"c;P:p\\;a\\"s\\\\s\\:w\\,d;;');
  assert.equal(wifiQrString('Open;Net', null), 'WIFI:T:nopass;S:Open\\;Net;;');
});

test('hostapd.conf: the provisioned hex ssid2, plain ssid, open networks, raw keys', () => {
  const hex = Buffer.from('Classe “B”', 'utf8').toString('hex');
  assert.deepEqual(parseHostapdConf(`# x\nssid2=${hex}\nutf8_ssid=1\nwpa=2\nwpa_passphrase=a b;c"d\n`), { ssid: 'Classe “B”', passphrase: 'a b;c"d' });
  assert.deepEqual(parseHostapdConf('ssid=Plain\r\nwpa=0\r\n'), { ssid: 'Plain', passphrase: null });
  assert.deepEqual(parseHostapdConf('ssid2="Quoted"\n'), { ssid: 'Quoted', passphrase: null });
  assert.ok('error' in parseHostapdConf(`ssid=X\nwpa=2\nwpa_psk=${'ab'.repeat(32)}\n`));
  assert.ok('error' in parseHostapdConf('wpa=2\nwpa_passphrase=12345678\n'));
});
