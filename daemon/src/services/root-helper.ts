// The daemon's side of the root helper (provisioning/helper): one Unix-socket connection per request,
// one JSON line each way. The daemon stays unprivileged; the helper's fixed verbs are all it can ask.
import net from 'node:net';

export class HelperUnavailable extends Error {}
export class HelperRefused extends Error {
  constructor(
    readonly code: string,
    message: string,
    /** For a refused value: each problem at its path (provisioning's schema). */
    readonly problems: { path: string; message: string }[] = [],
  ) {
    super(message);
  }
}

export class RootHelper {
  constructor(
    readonly socketPath: string,
    /** Generous: each request starts a Node process (under half a second on a Pi 4, seconds in an emulated one). */
    readonly timeoutMs = 15_000,
  ) {}

  /** Asks one verb; the helper's result, or HelperUnavailable (no socket, no answer) / HelperRefused (its error). */
  ask<T>(verb: string, args: Record<string, unknown> = {}): Promise<T> {
    return new Promise((resolve, reject) => {
      const c = net.connect(this.socketPath);
      let got = '';
      let settled = false;
      const finish = (err: Error | null, value?: T) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        c.destroy();
        if (err) reject(err);
        else resolve(value as T);
      };
      const timer = setTimeout(() => finish(new HelperUnavailable(`the root helper did not answer within ${this.timeoutMs} ms`)), this.timeoutMs);
      c.setEncoding('utf8');
      c.on('connect', () => c.write(`${JSON.stringify({ verb, args })}\n`));
      c.on('data', (d: string) => {
        got += d;
        if (got.length > 1024 * 1024) finish(new HelperUnavailable('the root helper answered too much'));
      });
      c.on('end', () => {
        const line = got.split('\n')[0] ?? '';
        let answer: { ok: boolean; result?: T; error?: { code: string; message: string; problems?: { path: string; message: string }[] } };
        try {
          answer = JSON.parse(line);
        } catch {
          return finish(new HelperUnavailable(`the root helper answered no JSON: ${line.slice(0, 200)}`));
        }
        if (answer.ok) finish(null, answer.result);
        else finish(new HelperRefused(answer.error?.code ?? 'failed', answer.error?.message ?? 'no message', answer.error?.problems ?? []));
      });
      c.on('error', (e: NodeJS.ErrnoException) =>
        finish(
          new HelperUnavailable(
            e.code === 'ENOENT' || e.code === 'ECONNREFUSED' || e.code === 'EACCES' ? `no root helper at ${this.socketPath} (${e.code})` : e.message,
          ),
        ),
      );
    });
  }
}
