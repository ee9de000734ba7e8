// The root helper's own verbs (provisioning/helper/verbs.ts) behind a real Unix socket, one request line
// and one answer per connection as homedrive-helper.socket hands them over, with stand-ins for the
// programs the verbs start (systemd-run, systemctl) that only record their arguments.
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { handle, helperEnv, type HelperEnv } from '../../provisioning/helper/verbs.js';

export interface StandInHelper {
  env: HelperEnv;
  socket: string;
  /** The stand-ins' command lines since the last call, oldest first. */
  recorded(): string[];
  close(): void;
}

function script(dir: string, name: string, body: string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, `#!/bin/sh\n${body}\n`);
  fs.chmodSync(file, 0o755);
  return file;
}

/** A helper reading `config` as the base configuration, its state under `dir`. */
export async function standInHelper(dir: string, config: unknown): Promise<StandInHelper> {
  const calls = path.join(dir, 'calls');
  const configFile = path.join(dir, 'provisioning.json');
  fs.writeFileSync(configFile, JSON.stringify(config));
  const env: HelperEnv = {
    ...helperEnv({}),
    configFile,
    settingsDir: path.join(dir, 'state'),
    systemdRun: script(dir, 'systemd-run', `echo "systemd-run $*" >> ${calls}`),
    systemctl: script(dir, 'systemctl', `echo "systemctl $*" >> ${calls}`),
  };
  const socket = path.join(dir, 'helper.sock');
  const server = net.createServer((c) => {
    let got = '';
    c.setEncoding('utf8');
    c.on('data', async (d: string) => {
      got += d;
      const nl = got.indexOf('\n');
      if (nl < 0) return;
      const { answer } = await handle(got.slice(0, nl), env);
      c.end(`${JSON.stringify(answer)}\n`);
    });
  });
  await new Promise<void>((resolve) => server.listen(socket, resolve));
  return {
    env,
    socket,
    recorded() {
      const text = fs.existsSync(calls) ? fs.readFileSync(calls, 'utf8') : '';
      fs.rmSync(calls, { force: true });
      return text.split('\n').filter(Boolean);
    },
    close: () => server.close(),
  };
}
