// The operator CLI (npm run hcd -- <command>): same environment as the daemon.
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { Writable } from 'node:stream';
import { openState } from '../bootstrap.js';
import { ConfigError } from '../config.js';
import { HttpError } from '../errors.js';
import { isMountPoint } from '../storage/file-store.js';
import { createLogger } from '../log.js';
import { quickCheck } from '../db/connection.js';
import { migrations, schemaVersion } from '../db/migrate.js';

const USAGE = `usage: npm run hcd -- <command>

  create-admin <username> [--password-stdin]   create an administrator (prompts for the password)
  reset-password <username> [--password-stdin] set a new password; ends that user's sessions
  doctor                                       check storage, database and configuration
  backup [file]                                consistent copy of the database
                                               (default: <data dir>/.hcd/backups/hcd-<time>.db)
  reconcile                                    index files copied onto the disk, report vanished ones

Environment: HCD_DATA_DIR, HCD_DB, HCD_REQUIRE_MOUNT, … (see README).`;

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  // Only the first line: `echo pw | hcd …` and here-strings add a newline.
  return Buffer.concat(chunks).toString('utf8').split(/\r?\n/)[0] ?? '';
}

async function prompt(question: string): Promise<string> {
  if (!process.stdin.isTTY) throw new Error('no terminal to ask for a password on: use --password-stdin');
  let muted = false;
  const out = new Writable({
    write(chunk, _enc, cb) {
      if (!muted) process.stdout.write(chunk);
      cb();
    },
  });
  const rl = readline.createInterface({ input: process.stdin, output: out, terminal: true });
  const ask = (q: string) =>
    new Promise<string>((resolve) => {
      process.stdout.write(q);
      muted = true;
      rl.question('', (a) => {
        muted = false;
        process.stdout.write('\n');
        resolve(a);
      });
    });
  try {
    const a = await ask(question);
    const b = await ask('Repeat it: ');
    if (a !== b) throw new Error('the two passwords differ');
    return a;
  } finally {
    rl.close();
  }
}

async function password(args: string[]): Promise<string> {
  return args.includes('--password-stdin') ? readStdin() : prompt('New password: ');
}

async function main(argv: string[]): Promise<number> {
  const [cmd, ...args] = argv;
  if (!cmd || cmd === 'help' || cmd === '--help' || cmd === '-h') {
    console.log(USAGE);
    return cmd ? 0 : 2;
  }
  // The CLI's own logs go to stderr so stdout stays clean for scripts.
  const log = createLogger({ level: 'warn', write: (l) => process.stderr.write(l + '\n') });
  const deps = openState(process.env, log);
  const { accounts, audit, config, db, drive, reconciler } = deps;
  try {
    switch (cmd) {
      case 'create-admin': {
        const username = args.find((a) => !a.startsWith('--'));
        if (!username) throw new Error('create-admin needs a username');
        const u = await accounts.createUser({ username, password: await password(args), role: 'admin' });
        audit.record({ actor: null, ip: 'cli', action: 'user_create', target: `user:${u.username}`, detail: { role: 'admin' } });
        console.log(`created administrator "${u.username}"`);
        return 0;
      }
      case 'reset-password': {
        const username = args.find((a) => !a.startsWith('--'));
        if (!username) throw new Error('reset-password needs a username');
        const u = accounts.getActive(username.toLowerCase());
        await accounts.setPassword(u, await password(args));
        if (u.disabled) console.log(`note: "${u.username}" is disabled; an administrator can enable it`);
        audit.record({ actor: null, ip: 'cli', action: 'user_update', target: `user:${u.username}`, detail: { password: 'reset' } });
        console.log(`password of "${u.username}" reset; its sessions have ended`);
        return 0;
      }
      case 'backup': {
        const stamp = new Date().toISOString().replace(/[:.]/g, '-');
        const dest = path.resolve(args[0] ?? path.join(config.dataDir, '.hcd', 'backups', `hcd-${stamp}.db`));
        if (!args[0] && !drive.store.available()) throw new Error('the storage is not mounted: give a destination file');
        fs.mkdirSync(path.dirname(dest), { recursive: true });
        // better-sqlite3's online backup API: a consistent copy while the daemon keeps writing.
        await db.backup(dest);
        console.log(dest);
        return 0;
      }
      case 'reconcile': {
        if (!drive.store.available()) throw new Error('the storage is not mounted');
        const rep = await reconciler.reconcile('cli', 'cli');
        console.log(JSON.stringify(rep, null, 2));
        return 0;
      }
      case 'doctor':
        // Awaited here: the finally below closes the database, which doctor still reads after its awaits.
        return await doctor(deps);
      default:
        console.error(`unknown command "${cmd}"\n\n${USAGE}`);
        return 2;
    }
  } finally {
    await deps.hasher.close();
    db.close();
  }

  async function doctor(d: typeof deps): Promise<number> {
    let bad = 0;
    const line = (ok: boolean | 'warn', what: string) => {
      if (ok === false) bad++;
      console.log(`${ok === true ? 'ok  ' : ok === 'warn' ? 'warn' : 'FAIL'}  ${what}`);
    };
    line(true, `configuration: data ${config.dataDir}, database ${config.dbPath}, ${config.host}:${config.port}`);
    const mounted = isMountPoint(config.dataDir);
    if (config.requireMount) line(mounted, mounted ? `storage mounted at ${config.dataDir}` : `storage NOT mounted at ${config.dataDir}: writes are refused`);
    else
      line(
        fs.existsSync(config.dataDir) ? true : 'warn',
        `storage folder ${config.dataDir}${fs.existsSync(config.dataDir) ? '' : ' does not exist yet (created at first start)'}`,
      );
    if (d.drive.store.available() && fs.existsSync(config.dataDir)) {
      try {
        fs.accessSync(config.dataDir, fs.constants.W_OK);
        const { total, free } = await d.drive.store.freeBytes();
        line(free > config.minFreeBytes ? true : false, `free space ${(free / 1e9).toFixed(2)} GB of ${(total / 1e9).toFixed(2)} GB`);
      } catch (err) {
        line(false, `storage not writable: ${(err as Error).message}`);
      }
    }
    const integrity = quickCheck(db);
    line(integrity === 'ok', `database integrity: ${integrity}`);
    const version = schemaVersion(db);
    line(version === migrations.length, `database schema version ${version} of ${migrations.length}`);
    const admins = d.accounts.users.countActiveAdmins();
    line(admins > 0, admins > 0 ? `${admins} active administrator(s)` : 'no active administrator: run create-admin');
    const missing = d.drive.files.missing().length;
    line(missing === 0 ? true : 'warn', `${missing} indexed file(s) missing from disk`);
    return bad === 0 ? 0 : 1;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    if (err instanceof ConfigError) console.error(err.message);
    else if (err instanceof HttpError) console.error(`error: ${err.message}`);
    else console.error(`error: ${(err as Error).message}`);
    process.exit(1);
  },
);
