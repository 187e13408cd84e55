// CPU profiles of the page's dedicated workers (PDU's engines) for bench:browser --profile=DIR.
// Workers are reached through the page's CDP session: Target.setAutoAttach without flatten, then
// Profiler.* wrapped in Target.sendMessageToTarget (Playwright's CDPSession has no child sessions).
import type { CDPSession } from '@playwright/test';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}
interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

interface WorkerTarget {
  sessionId: string;
  url: string;
  index: number;
  pending: Map<number, (result: unknown) => void>;
  profiling: boolean;
}

export class WorkerProfiler {
  private readonly workers: WorkerTarget[] = [];
  private nextId = 1;
  private active = false;

  private constructor(
    private readonly cdp: CDPSession,
    private readonly dir: string,
    private readonly intervalUs: number,
  ) {}

  static async attach(cdp: CDPSession, dir: string, intervalUs = 200): Promise<WorkerProfiler> {
    mkdirSync(dir, { recursive: true });
    const profiler = new WorkerProfiler(cdp, dir, intervalUs);
    cdp.on('Target.attachedToTarget', (e) => {
      if (e.targetInfo.type !== 'worker') return;
      const target: WorkerTarget = { sessionId: e.sessionId, url: e.targetInfo.url, index: profiler.workers.length, pending: new Map(), profiling: false };
      profiler.workers.push(target);
      // A worker spawned during a profiled run is profiled from here on.
      if (profiler.active) void profiler.startOne(target);
    });
    cdp.on('Target.detachedFromTarget', (e) => {
      const i = profiler.workers.findIndex((w) => w.sessionId === e.sessionId);
      if (i >= 0) profiler.workers.splice(i, 1);
    });
    cdp.on('Target.receivedMessageFromTarget', (e) => {
      const target = profiler.workers.find((w) => w.sessionId === e.sessionId);
      const message = JSON.parse(e.message) as { id?: number; result?: unknown; error?: unknown };
      if (!target || message.id === undefined) return;
      target.pending.get(message.id)?.(message.result ?? { error: message.error });
      target.pending.delete(message.id);
    });
    await cdp.send('Target.setAutoAttach', { autoAttach: true, waitForDebuggerOnStart: false, flatten: false });
    return profiler;
  }

  private call<T>(target: WorkerTarget, method: string, params: object = {}): Promise<T> {
    const id = this.nextId++;
    const reply = new Promise<T>((resolve) => target.pending.set(id, resolve as (r: unknown) => void));
    void this.cdp.send('Target.sendMessageToTarget', { sessionId: target.sessionId, message: JSON.stringify({ id, method, params }) });
    return reply;
  }

  private async startOne(target: WorkerTarget): Promise<void> {
    target.profiling = true;
    await this.call(target, 'Profiler.enable');
    await this.call(target, 'Profiler.setSamplingInterval', { interval: this.intervalUs });
    await this.call(target, 'Profiler.start');
  }

  async start(): Promise<void> {
    this.active = true;
    await Promise.all(this.workers.map((w) => this.startOne(w)));
  }

  /** Stops every worker's profile, writes `<label>-worker<i>.cpuprofile` and prints the top self times. */
  async stop(label: string, top = 15): Promise<void> {
    this.active = false;
    for (const target of this.workers.filter((w) => w.profiling)) {
      target.profiling = false;
      const { profile } = await this.call<{ profile: CpuProfile }>(target, 'Profiler.stop');
      const file = join(this.dir, `${label}-worker${target.index}.cpuprofile`);
      writeFileSync(file, JSON.stringify(profile));
      console.log(summarise(profile, `${label} worker ${target.index} (${file})`, top));
    }
  }
}

/** Self time per function (name + location), highest first, as a small table. */
export function summarise(profile: CpuProfile, title: string, top: number): string {
  const byNode = new Map<number, ProfileNode>(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  let total = 0;
  // Each sample's time is the delta to the next sample.
  for (let i = 0; i < samples.length; i++) {
    const dt = (deltas[i + 1] ?? 0) / 1000;
    const node = byNode.get(samples[i]!)!;
    const f = node.callFrame;
    const file = f.url.split('/').pop()?.split('?')[0] ?? '';
    const key = `${f.functionName || '(anonymous)'} ${file ? `${file}:${f.lineNumber + 1}` : ''}`.trim();
    self.set(key, (self.get(key) ?? 0) + dt);
    total += dt;
  }
  const wall = (profile.endTime - profile.startTime) / 1000;
  const idle = [...self].filter(([k]) => k.startsWith('(idle)')).reduce((s, [, v]) => s + v, 0);
  const lines = [`${title}: ${wall.toFixed(0)} ms wall, ${(total - idle).toFixed(0)} ms busy (${((100 * (total - idle)) / Math.max(wall, 1)).toFixed(0)}%)`];
  for (const [key, ms] of [...self].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    lines.push(`  ${ms.toFixed(1).padStart(8)} ms ${((100 * ms) / Math.max(total, 1e-9)).toFixed(1).padStart(5)}%  ${key}`);
  }
  return lines.join('\n');
}

/**
 * CPU time of every Chromium thread, from /proc (Linux only): thread name -> ms of user+system
 * time, summed over the browser's processes. Two readings around a run give where the CPU went.
 */
export function chromiumThreadCpu(): Map<string, number> {
  const out = new Map<string, number>();
  const tick = 1000 / 100; // USER_HZ
  for (const pid of descendants(process.pid)) {
    let type = 'browser';
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      if (!cmd.includes('chrom')) continue;
      type = /--type=([a-z-]+)/.exec(cmd)?.[1] ?? 'browser';
    } catch {
      continue;
    }
    let tids: string[] = [];
    try {
      tids = readdirSync(`/proc/${pid}/task`);
    } catch {
      continue;
    }
    for (const tid of tids) {
      try {
        const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
        const close = stat.lastIndexOf(')');
        const name = stat.slice(stat.indexOf('(') + 1, close).replace(/[0-9]+$/, '#');
        const fields = stat.slice(close + 2).split(' ');
        const ms = (Number(fields[11]) + Number(fields[12])) * tick;
        // Each worker on its own line (PDU runs one per session: sender and receiver).
        const key = name.startsWith('DedicatedWorker') ? `${type}:worker@${tid}` : `${type}:${name}`;
        out.set(key, (out.get(key) ?? 0) + ms);
      } catch {
        // the thread ended meanwhile
      }
    }
  }
  return out;
}

function descendants(pid: number): number[] {
  const all: number[] = [];
  let children: number[] = [];
  try {
    children = readdirSync(`/proc/${pid}/task`).flatMap((tid) => {
      try {
        return readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
      } catch {
        return [];
      }
    });
  } catch {
    return all;
  }
  for (const c of children) all.push(c, ...descendants(c));
  return all;
}

/** The difference of two readings, busiest threads first, as `name ms` pairs. */
export function cpuDelta(before: Map<string, number>, after: Map<string, number>): Array<[string, number]> {
  return [...after].map(([k, v]) => [k, v - (before.get(k) ?? 0)] as [string, number]).filter(([, v]) => v > 0).sort((a, b) => b[1] - a[1]);
}

/** Packets and bytes sent on every interface of this process's network namespace (Linux /proc/net/dev). */
export function namespacePackets(): { packets: number; bytes: number } {
  let packets = 0;
  let bytes = 0;
  try {
    for (const line of readFileSync('/proc/net/dev', 'utf8').split('\n').slice(2)) {
      const fields = line.split(':')[1]?.trim().split(/\s+/).map(Number);
      if (!fields || fields.length < 16) continue;
      bytes += fields[8]!;
      packets += fields[9]!;
    }
  } catch {
    // not Linux
  }
  return { packets, bytes };
}
