// Runs a configured system command (power-off, set the clock): split on spaces, placeholders filled per argument, no shell.
import { execFile } from 'node:child_process';

export interface CommandResult {
  ok: boolean;
  code: number | null;
  output: string;
}

export type CommandRunner = (template: string, vars?: Record<string, string>) => Promise<CommandResult>;

/**
 * "{name}" placeholders are replaced inside each argument after the split, so a value can never
 * become a second argument or a shell construct.
 */
export function buildArgv(template: string, vars: Record<string, string> = {}): string[] {
  const argv = template.trim().split(/\s+/).filter(Boolean);
  if (argv.length === 0) throw new Error('empty command');
  return argv.map((a) => a.replace(/\{(\w+)\}/g, (m, k: string) => vars[k] ?? m));
}

export const runCommand: CommandRunner = (template, vars = {}) =>
  new Promise((resolve) => {
    let argv: string[];
    try {
      argv = buildArgv(template, vars);
    } catch (err) {
      resolve({ ok: false, code: null, output: (err as Error).message });
      return;
    }
    execFile(argv[0]!, argv.slice(1), { timeout: 15_000 }, (err, stdout, stderr) => {
      const output = `${stdout}${stderr}`.trim().slice(0, 500);
      if (err) resolve({ ok: false, code: typeof err.code === 'number' ? err.code : null, output: output || err.message });
      else resolve({ ok: true, code: 0, output });
    });
  });
