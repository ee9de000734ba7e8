// The daemon's entry: the only place that reads the environment, listens and handles signals.
import { getRequestListener, RequestError } from '@hono/node-server';
import { createServer } from 'node:http';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createApp } from './app.js';
import { generatePassword, openState } from './bootstrap.js';
import { ConfigError } from './config.js';
import { Checkpointer } from './db/checkpointer.js';
import { INTERNAL_MESSAGE, errorResponse } from './errors.js';
import { createLogger } from './log.js';

// Every fsync, open and stat of an upload runs on libuv's thread pool; its default of 4 threads
// queues eight concurrent small uploads behind each other's fsyncs. Read when the pool first starts.
process.env.UV_THREADPOOL_SIZE ??= '16';

async function main() {
  const early = createLogger();
  let deps;
  try {
    deps = openState(process.env, undefined, { applyRestore: true });
  } catch (err) {
    early.error(err instanceof ConfigError ? err.message : `cannot start: ${(err as Error).message}`);
    process.exit(2);
  }
  const { config, log, accounts, store, uploads, reconciler, db, health } = deps;
  // The log's checkpoints in a worker thread, never inside a commit on this one (db/checkpointer.ts).
  const checkpointer = config.dbPath === ':memory:' ? null : new Checkpointer(db, 1000, (message) => log.warn('checkpoint failed', { message }));
  if (process.env.HCD_BENCH_LOOP_STATS === '1') benchLoopStats();

  if (config.bootstrapAdmin && accounts.users.countAll() === 0) {
    const password = generatePassword();
    const row = await accounts.createUser({ username: 'admin', password, role: 'admin' });
    // Printed on a terminal or in a journal: to be replaced by one the administrator chooses at the first login.
    accounts.users.update(row.id, { must_change_password: 1 }, deps.clock.now());
    deps.audit.record({ actor: null, ip: null, action: 'user_create', target: 'user:admin', detail: { role: 'admin', bootstrap: true } });
    // Printed once, to the terminal or journal of the first start; never stored in clear anywhere.
    process.stdout.write(
      `\n  First start: created the administrator "admin" with the password  ${password}\n` +
        `  It is shown only this once. Log in and change it (or: npm run hcd -- reset-password admin).\n\n`,
    );
  }

  // Crash recovery and indexing run only with the storage present: an unplugged SSD must not
  // make every indexed file look deleted.
  let storageWasUp = false;
  const onStorage = async () => {
    const up = store.available();
    if (up && !storageWasUp) {
      const rec = await reconciler.recover();
      const handinsRec = await deps.handins.recover();
      const rep = await reconciler.reconcile();
      log.info('storage ready', {
        dataDir: config.dataDir,
        ...rec,
        trashMissing: rec.trashMissing.length,
        trashOrphans: rec.trashOrphans.length,
        handinOrphans: handinsRec.orphansRemoved,
        added: rep.added,
        updated: rep.updated,
        missing: rep.missing.length,
      });
    } else if (!up && storageWasUp) {
      log.warn('storage missing: writes refused until it is back', { dataDir: config.dataDir });
    } else if (!up && !storageWasUp && !watchStarted) {
      log.warn('storage missing at start: writes refused until it is mounted', { dataDir: config.dataDir });
    }
    storageWasUp = up;
  };
  let watchStarted = false;
  await onStorage();
  watchStarted = true;
  const storageWatch = setInterval(() => onStorage().catch((err) => log.error('storage check failed', { err })), 5000);
  storageWatch.unref();

  const app = createApp(deps);
  // The adapter refuses some requests before the app sees them (a backslash in the path, a bad Host
  // header); they still get the contract's JSON error rather than an empty 400.
  const listener = getRequestListener(app.fetch, {
    hostname: config.host,
    // Unread request bodies are drained by the app itself (http.ts, discardUnreadBody), with more patience.
    autoCleanupIncoming: false,
    errorHandler: (err) => {
      if (err instanceof RequestError) {
        const code = /path|url/i.test(err.message) ? 'invalid_path' : 'bad_request';
        return errorResponse(code, `The request was refused: ${err.message}.`);
      }
      log.error('unhandled error', { err: err instanceof Error ? err.stack : String(err) });
      return errorResponse('internal_error', INTERNAL_MESSAGE);
    },
  });
  const server = createServer(
    {
      // Node's default answers 408 to any request that lasts 300 s in all: a 1 GB video over a busy
      // Wi-Fi takes longer. No total limit; a connection is cut when it stays idle instead (below).
      requestTimeout: 0,
      // The request line and headers must still arrive promptly (slowloris).
      headersTimeout: 30_000,
      keepAliveTimeout: 5_000,
    },
    listener,
  );
  // A socket with no byte in either direction for this long is dead (a phone that left the Wi-Fi).
  server.setTimeout(config.idleTimeoutSeconds * 1000, (socket) => socket.destroy());
  server.listen(config.port, config.host, () => {
    const addr = server.address();
    const port = typeof addr === 'object' && addr ? addr.port : config.port;
    log.info('listening', {
      url: `http://${config.host === '0.0.0.0' ? 'localhost' : config.host}:${port}`,
      dataDir: config.dataDir,
      db: config.dbPath,
      requireMount: config.requireMount,
    });
    health.jobs.start();
    void deps.hasher.warm();
  });
  server.on('error', (err) => {
    log.error('server error', { err });
    process.exit(1);
  });

  let stopping = false;
  /** Exit status 75 (EX_TEMPFAIL) asks for a restart: systemd's Restart=on-failure brings the daemon back. */
  const shutdown = async (signal: string, exitCode = 0) => {
    if (stopping) return;
    stopping = true;
    log.info('shutting down', { signal, uploadsInFlight: uploads.inflightCount });
    clearInterval(storageWatch);
    const jobsStopped = health.stop();
    let serverClosed = false;
    const onClosed: (() => void)[] = [];
    // 'close' comes once the last connection has ended, which may happen while we drain.
    server.close(() => {
      serverClosed = true;
      for (const f of onClosed) f();
    });
    const r = await uploads.drain(config.shutdownGraceSeconds * 1000);
    // The uploads that finished (201) or were aborted (503) still have their answers to send: let
    // them go out, closing each connection once idle, for at most a moment; then cut the rest.
    await new Promise<void>((resolve) => {
      if (serverClosed) return resolve();
      const done = () => {
        clearInterval(tick);
        clearTimeout(timer);
        resolve();
      };
      const tick = setInterval(() => server.closeIdleConnections(), 25);
      const timer = setTimeout(done, 2000);
      onClosed.push(done);
      server.closeIdleConnections();
    });
    server.closeAllConnections();
    await jobsStopped;
    await deps.hasher.close();
    await checkpointer?.stop();
    db.close();
    log.info('stopped', { uploadsFinished: r.finished, uploadsAborted: r.aborted, restart: exitCode === 75 });
    if (exitCode === 75)
      process.stdout.write('  Stopped to restart (a backup is restored at the next start): systemd starts it again; by hand, start it again.\n');
    process.exit(exitCode);
  };
  deps.lifecycle.onRestart = (reason) => void shutdown(reason, 75);
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

/**
 * For the benchmark only (scripts/bench), not part of the daemon's contract: samples the event
 * loop's delay, and on each SIGUSR2 prints the histogram since the last one as a line
 * `hcd-loop-delay {json}` (milliseconds; `memory` in MiB) on stdout, then starts afresh.
 */
function benchLoopStats(): void {
  const h = monitorEventLoopDelay({ resolution: 10 });
  h.enable();
  const ms = (ns: number) => Math.round(ns / 1e4) / 100;
  process.on('SIGUSR2', () => {
    const m = process.memoryUsage();
    const mib = (b: number) => Math.round(b / 2 ** 17) / 8;
    const memory = { rss: mib(m.rss), heapUsed: mib(m.heapUsed), heapTotal: mib(m.heapTotal), external: mib(m.external), arrayBuffers: mib(m.arrayBuffers) };
    const stats = { count: h.count, p50: ms(h.percentile(50)), p99: ms(h.percentile(99)), max: ms(h.max), memory };
    process.stdout.write(`hcd-loop-delay ${JSON.stringify(stats)}\n`);
    h.reset();
  });
}

main().catch((err) => {
  process.stderr.write(`fatal: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
