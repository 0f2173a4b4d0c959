/**
 * How much of the machine other processes took while a benchmark step ran. The 1-minute load average is
 * the wrong measure on a machine that runs nothing but the bench: it lags by a minute and counts the bench's
 * own prover threads, so a step right after a 2-thread prover looked "slowed down" by its predecessor.
 * Here: CPU time the whole machine spent busy (/proc/stat) minus what this process and its children spent
 * (process.cpuUsage, /proc/self/stat), over the step's wall time. Niced jobs are left out: at nice 19 they
 * get ~1.5% of a core against a normal-priority thread. Linux only; elsewhere no reading (undefined).
 */
import { readFileSync } from 'node:fs';

/** Clock ticks per second of /proc (USER_HZ: 100 on every Linux architecture Node supports). */
const USER_HZ = 100;

export interface CpuSample {
  /** Seconds (performance.now) when taken. */
  at: number;
  /** Busy CPU seconds of the machine since boot, niced user time excluded. */
  busy: number;
  /** CPU seconds of this process (all threads) and its waited-for children. */
  own: number;
}

export function cpuSample(): CpuSample | undefined {
  try {
    // cpu  user nice system idle iowait irq softirq steal guest guest_nice
    const f = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!.trim().split(/\s+/).slice(1).map(Number);
    const [user, , system, , , irq, softirq, steal] = f as [number, number, number, number, number, number, number, number];
    // /proc/self/stat: fields after the parenthesised command name; cutime, cstime are fields 16, 17
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ').map(Number);
    const children = (rest[13]! + rest[14]!) / USER_HZ;
    const u = process.cpuUsage();
    const busy = (user + system + irq + (softirq ?? 0) + (steal ?? 0)) / USER_HZ;
    if (![busy, children].every(Number.isFinite)) return undefined;
    return { at: performance.now() / 1000, busy, own: (u.user + u.system) / 1e6 + children };
  } catch {
    return undefined;
  }
}

/** Cores' worth of CPU the other processes used between two samples (≥ 0), undefined without readings. */
export function othersCores(a: CpuSample | undefined, b: CpuSample | undefined): number | undefined {
  if (!a || !b || b.at - a.at < 0.05) return undefined;
  return Math.max(0, b.busy - a.busy - (b.own - a.own)) / (b.at - a.at);
}
