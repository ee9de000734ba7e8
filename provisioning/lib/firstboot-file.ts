// Parsing and scrubbing of the first-boot file (key=value lines, # comments), as people type it on any OS.
export const FIRSTBOOT_KEYS = ['wifi_ssid', 'wifi_passphrase', 'wifi_country', 'admin_username', 'admin_password', 'hostname', 'timezone'] as const;
export type FirstbootKey = (typeof FIRSTBOOT_KEYS)[number];

export interface FirstbootProblem {
  key: string;
  message: string;
}

export interface ParsedFirstboot {
  values: Partial<Record<FirstbootKey, string>>;
  problems: FirstbootProblem[];
}

function isKey(key: string): key is FirstbootKey {
  return (FIRSTBOOT_KEYS as readonly string[]).includes(key);
}

function splitLines(text: string): string[] {
  // Editors on Windows add a BOM and CRLF; Notepad on macOS may leave a lone CR.
  return text.replace(/^\uFEFF/, '').split(/\r\n|\r|\n/);
}

export function parseFirstbootFile(text: string): ParsedFirstboot {
  const values: Partial<Record<FirstbootKey, string>> = {};
  const problems: FirstbootProblem[] = [];
  splitLines(text).forEach((line, index) => {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) return;
    const eq = trimmed.indexOf('=');
    if (eq === -1) {
      problems.push({ key: `line ${index + 1}`, message: 'expected key=value' });
      return;
    }
    const key = trimmed.slice(0, eq).trim().toLowerCase();
    // Surrounding spaces are dropped: people type "key = value".
    const value = trimmed.slice(eq + 1).trim();
    if (!isKey(key)) {
      problems.push({ key, message: `unknown key (line ${index + 1}); known keys: ${FIRSTBOOT_KEYS.join(', ')}` });
      return;
    }
    if (key in values) problems.push({ key, message: `set twice (line ${index + 1}); the last value is used` });
    values[key] = value;
  });
  return { values, problems };
}

/** The same file with every admin_password value emptied; comments, order and line endings kept. */
export function scrubPassword(text: string): string {
  return text.replace(/^([ \t]*admin_password[ \t]*=)[^\r\n]*/gim, '$1');
}
