/** `pnpm bench:llm`: CPU time per process, from /proc, sampled while waiting. */
import { readFileSync } from 'node:fs';

const CLOCK_TICKS = 100;

function cpuSecondsOf(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime are fields 14 and 15 of stat, so 11 and 12 after the name.
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return Number.NaN;
  }
}

/** CPU seconds every process on the machine has used (user, nice, system, irq, softirq, steal). */
function machineBusySeconds(): number {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
    const [user, nice, system, , , irq, softirq, steal] = line
      .trim()
      .split(/\s+/)
      .slice(1)
      .map(Number);
    return (
      ((user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0)) /
      CLOCK_TICKS
    );
  } catch {
    return Number.NaN;
  }
}

interface Group {
  label: string;
  pids: number[];
}

export class CpuSampler {
  private readonly groups: Group[];
  private readonly samples: { at: number; cpu: number[]; machine: number }[] = [];

  constructor(groups: Group[]) {
    this.groups = groups;
  }

  sample(): void {
    const self = process.cpuUsage();
    this.samples.push({
      at: Date.now(),
      cpu: this.groups.map(g =>
        g.pids.length === 0
          ? (self.user + self.system) / 1e6
          : g.pids.reduce((sum, pid) => sum + cpuSecondsOf(pid), 0),
      ),
      machine: machineBusySeconds(),
    });
  }

  private bounds(from: number, to: number) {
    const first = [...this.samples].reverse().find(s => s.at <= from) ?? this.samples[0];
    const last = this.samples.find(s => s.at >= to) ?? this.samples.at(-1);
    return { first, last };
  }

  /** CPU seconds used by processes other than these groups (another job on the machine). */
  otherBetween(from: number, to: number): number {
    const { first, last } = this.bounds(from, to);
    if (!(first && last)) return Number.NaN;
    const ours = last.cpu.reduce((sum, c, i) => sum + c - (first.cpu[i] as number), 0);
    return last.machine - first.machine - ours;
  }

  /** CPU seconds of each group from the last sample at or before `from` to the first at or after `to`. */
  between(from: number, to: number): { label: string; cpu: number }[] {
    const { first, last } = this.bounds(from, to);
    return this.groups.map((g, i) => ({
      label: g.label,
      cpu: first && last ? (last.cpu[i] as number) - (first.cpu[i] as number) : Number.NaN,
    }));
  }
}
