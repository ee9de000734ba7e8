// The benchmark's Pi proxy: a cgroup that caps the CPU time of the daemon (every thread of it) at a
// fraction of one core, through cgroup v1's cpu controller or cgroup v2's cpu.max (needs root).
import fs from 'node:fs';
import path from 'node:path';

export interface CpuCap {
  /** Written the daemon's pid before it execs: every thread it then starts is in the group. */
  procsFile: string;
  describe: string;
  /** Moves threads that were started outside the group (none when spawned through `wrap`). */
  adopt(pid: number): void;
  remove(): void;
}

const V1 = '/sys/fs/cgroup/cpu';
const V2 = '/sys/fs/cgroup';
/** The kernel's default CFS period; `--pi-period-ms` changes it (see the README). */
export const DEFAULT_PERIOD_US = 100_000;

export function createCpuCap(fraction: number, PERIOD_US = DEFAULT_PERIOD_US): CpuCap {
  const quota = Math.round(fraction * PERIOD_US);
  const name = `hcd-bench-${process.pid}`;
  let dir: string;
  let describe: string;
  let tasksFile: string;
  if (fs.existsSync(path.join(V1, 'cpu.cfs_quota_us'))) {
    dir = path.join(V1, name);
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'cpu.cfs_period_us'), String(PERIOD_US));
    fs.writeFileSync(path.join(dir, 'cpu.cfs_quota_us'), String(quota));
    tasksFile = path.join(dir, 'tasks');
    describe = `cgroup v1 cpu.cfs_quota_us=${quota} per cpu.cfs_period_us=${PERIOD_US}`;
  } else if (fs.existsSync(path.join(V2, 'cgroup.controllers')) && fs.readFileSync(path.join(V2, 'cgroup.controllers'), 'utf8').includes('cpu')) {
    // The cpu controller must be enabled for the root's children; harmless when it already is.
    try {
      fs.writeFileSync(path.join(V2, 'cgroup.subtree_control'), '+cpu');
    } catch {
      /* already enabled, or enabled by the init system */
    }
    dir = path.join(V2, name);
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'cpu.max'), `${quota} ${PERIOD_US}`);
    tasksFile = path.join(dir, 'cgroup.threads');
    describe = `cgroup v2 cpu.max="${quota} ${PERIOD_US}"`;
  } else {
    throw new Error('--pi needs a cgroup cpu controller (v1 at /sys/fs/cgroup/cpu or v2 with cpu enabled)');
  }
  return {
    procsFile: path.join(dir, 'cgroup.procs'),
    describe,
    adopt(pid) {
      for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
        try {
          fs.writeFileSync(tasksFile, tid);
        } catch {
          /* the thread ended meanwhile */
        }
      }
    },
    remove() {
      // A group can be removed once empty; the daemon has exited by then.
      for (let i = 0; i < 50; i++) {
        try {
          fs.rmdirSync(dir);
          return;
        } catch {
          Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
        }
      }
    },
  };
}

/** The command line that starts `argv` inside the group: the shell joins it, then execs. */
export function wrap(cap: CpuCap, argv: string[]): [string, string[]] {
  return ['/bin/sh', ['-c', 'echo $$ > "$0" && exec "$@"', cap.procsFile, ...argv]];
}
