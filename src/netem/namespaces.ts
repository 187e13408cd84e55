/**
 * The emulated network: namespaces a and b, each with one interface (lnkA 10.77.1.1/24, lnkB
 * 10.77.2.1/24) whose packets a socat bridges to the router, and a default route through it.
 *
 *   [ns a] lnkA ⇄ socat ⇄ udp 127.0.0.1 ⇄ router (Link a→b, Link b→a) ⇄ udp 127.0.0.1 ⇄ socat ⇄ lnkB [ns b]
 *
 * The socats and the router live in the caller's network namespace (their loopback sockets must
 * meet there); each TUN is created there and then moved into its namespace. Names carry the pid
 * and a counter, so runs in parallel (and /run/netns, which every network namespace of the machine
 * shares) do not collide. Teardown is synchronous, idempotent, and registered for exit and
 * signals; a failed setup tears down what it had made.
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { readdirSync, readlinkSync } from 'node:fs';
import { NetemUnavailableError, netemUnavailableReason } from './availability.js';
import type { LinkSpec } from './link-spec.js';
import { nodeScriptArgs } from './node-script.js';
import { RouterProcess } from './router-process.js';
import { ip, ipQuiet, isRunning, killAndWait } from './system.js';

export type Side = 'a' | 'b';
export const NETEM_ADDRESS: Readonly<Record<Side, string>> = { a: '10.77.1.1', b: '10.77.2.1' };
/** Not `tun*`: werift gathers no host candidates on such interfaces. */
export const NETEM_INTERFACE: Readonly<Record<Side, string>> = { a: 'lnkA', b: 'lnkB' };

export interface NetemOptions {
  /** Seed of the router's loss and jitter draws (default 1). */
  seed?: number;
  /** Impairment from the start; change it later with `router.configure`. */
  aToB?: LinkSpec;
  bToA?: LinkSpec;
  tracesDir?: string;
}

export interface ExecResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** pdu-<pid namespace>-<pid>-<n>-<side>: a pid means something only within its pid namespace. */
const NAME = /^pdu-(\d+)-(\d+)-\d+-[ab]$/;
let pidNamespaceId: string | undefined;
const pidNamespace = (): string => (pidNamespaceId ??= /\d+/.exec(readlinkSync('/proc/self/ns/pid'))?.[0] ?? '0');
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
const SETUP_ATTEMPTS = 3;
/** socat's notice, at `-d -d`, once both of its addresses are open. */
const SOCAT_READY = 'starting data transfer loop';
/** The tail of a socat's log kept for error messages; it stays bounded over long runs. */
const SOCAT_LOG_CHARS = 4096;
let topologies = 0;

class SocatPortTakenError extends Error {}

export class NetemTopology {
  /** `ip netns` names of sides a and b. */
  readonly namespaces: Readonly<Record<Side, string>>;
  /** Names the TUN devices have in the caller's namespace before they move (≤ 15 characters). */
  readonly tunNames: Readonly<Record<Side, string>>;
  private routerProcess: RouterProcess | undefined;
  private readonly created: string[] = [];
  private readonly socats: ChildProcess[] = [];
  private readonly children = new Set<ChildProcess>();
  private done = false;
  private readonly onExit = () => this.teardown();
  private readonly onSignal = (signal: NodeJS.Signals) => {
    this.teardown();
    // Ours was the only handler: die of the signal as the process would have without us.
    if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
  };

  private constructor(pid: number, n: number) {
    const prefix = `pdu-${pidNamespace()}-${pid}-${n}`;
    this.namespaces = { a: `${prefix}-a`, b: `${prefix}-b` };
    this.tunNames = { a: `pn${pid}x${n}a`, b: `pn${pid}x${n}b` };
    process.on('exit', this.onExit);
    for (const signal of SIGNALS) process.on(signal, this.onSignal);
  }

  /** Builds the topology; throws NetemUnavailableError (one line) where it cannot run. */
  static async setup(options: NetemOptions = {}): Promise<NetemTopology> {
    const reason = netemUnavailableReason();
    if (reason) throw new NetemUnavailableError(reason);
    removeStaleNamespaces();
    for (let attempt = 1; ; attempt++) {
      const topology = new NetemTopology(process.pid, ++topologies);
      try {
        await topology.build(options);
        return topology;
      } catch (err) {
        topology.teardown();
        // Another process took a socat's port between freeUdpPort() and socat's bind: a race with
        // the machine, not a fault of the topology. Fresh ports almost surely win the next time.
        if (!(err instanceof SocatPortTakenError) || attempt === SETUP_ATTEMPTS) throw err;
      }
    }
  }

  /** Runs `body` on a fresh topology and always tears it down, also when `body` throws. */
  static async with<T>(options: NetemOptions, body: (topology: NetemTopology) => Promise<T>): Promise<T> {
    const topology = await NetemTopology.setup(options);
    try {
      return await body(topology);
    } finally {
      topology.teardown();
    }
  }

  /** Impairment control and counters. */
  get router(): RouterProcess {
    if (!this.routerProcess) throw new Error('netem: the topology was not set up');
    return this.routerProcess;
  }

  /** Processes this topology started that are still running: router, socats, spawned commands. */
  runningPids(): number[] {
    return this.startedPids().filter(isRunning);
  }

  /** Starts `cmd` inside a side's namespace (`ip netns exec`); it is killed at teardown. */
  spawn(side: Side, cmd: string, args: readonly string[] = [], options: SpawnOptions = {}): ChildProcess {
    if (this.done) throw new Error('netem: the topology was torn down');
    const child = spawn('ip', ['netns', 'exec', this.namespaces[side], cmd, ...args], { stdio: 'pipe', ...options });
    this.children.add(child);
    child.once('exit', () => this.children.delete(child));
    return child;
  }

  /** Starts a Node script (TypeScript through tsx) inside a side's namespace. */
  spawnNode(side: Side, script: string, args: readonly string[] = [], options: SpawnOptions = {}): ChildProcess {
    return this.spawn(side, process.execPath, nodeScriptArgs(script, args), options);
  }

  /** Runs `cmd` inside a side's namespace to completion. */
  exec(side: Side, cmd: string, args: readonly string[] = []): Promise<ExecResult> {
    const child = this.spawn(side, cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    return new Promise((resolve, reject) => {
      child.once('error', reject);
      child.once('close', (code) => resolve({ code, stdout, stderr }));
    });
  }

  /**
   * Kills every process the topology started and deletes its namespaces (the TUNs die with their
   * socats). Synchronous, so it also runs from an 'exit' handler. Calling it again is harmless and
   * sweeps up anything a setup still in progress made after the first call (a signal mid-setup).
   */
  teardown(): void {
    if (!this.done) {
      this.done = true;
      process.off('exit', this.onExit);
      for (const signal of SIGNALS) process.off(signal, this.onSignal);
    }
    // Everything started here, then whatever else runs inside the namespaces (grandchildren).
    const inside = this.created.flatMap((ns) => ipQuiet(['netns', 'pids', ns]).split('\n').filter(Boolean).map(Number));
    killAndWait([...this.startedPids(), ...inside]);
    for (const ns of this.created.splice(0)) ipQuiet(['netns', 'del', ns]);
  }

  /** Pids of children Node has not reaped yet: a reaped child's pid may already belong to someone else. */
  private startedPids(): number[] {
    return [this.routerProcess?.child, ...this.socats, ...this.children]
      .filter((c): c is ChildProcess => c !== undefined && c.exitCode === null && c.signalCode === null && c.pid !== undefined)
      .map((c) => c.pid as number);
  }

  private async build(options: NetemOptions): Promise<void> {
    // socat's datagrams to the router go over the caller's loopback (down in a fresh `unshare -n`).
    ip(['link', 'set', 'lo', 'up']);
    for (const side of ['a', 'b'] as const) {
      ip(['netns', 'add', this.namespaces[side]]);
      this.created.push(this.namespaces[side]);
    }
    const socatPorts = { a: await freeUdpPort(), b: await freeUdpPort() };
    this.checkNotTornDown();
    this.routerProcess = await RouterProcess.start({
      socatPortA: socatPorts.a,
      socatPortB: socatPorts.b,
      ...(options.seed !== undefined && { seed: options.seed }),
      ...(options.aToB && { aToB: options.aToB }),
      ...(options.bToA && { bToA: options.bToA }),
      ...(options.tracesDir !== undefined && { tracesDir: options.tracesDir }),
    });
    for (const side of ['a', 'b'] as const) {
      this.checkNotTornDown();
      await this.startSocat(side, this.routerProcess.ports[side], socatPorts[side]);
      this.moveInto(side);
    }
    this.checkNotTornDown();
  }

  /** A signal may tear the topology down while setup awaits; setup must then stop making things. */
  private checkNotTornDown(): void {
    if (this.done) throw new Error('netem: torn down during setup');
  }

  /**
   * One socat per side: TUN device <-> UDP datagrams to the router, one IP packet each. socat
   * creates the TUN before it binds its port, so the TUN existing proves nothing: a socat whose
   * bind fails takes its TUN with it a moment later. Ready means socat's own notice that both ends
   * are open (`-d -d`; it logs nothing per packet at that level).
   */
  private async startSocat(side: Side, routerPort: number, ownPort: number): Promise<void> {
    const tun = this.tunNames[side];
    const socat = spawn(
      'socat',
      ['-d', '-d', '-b', '65536', `TUN,tun-name=${tun},iff-no-pi,tun-type=tun`, `UDP-DATAGRAM:127.0.0.1:${routerPort},bind=127.0.0.1:${ownPort}`],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    this.socats.push(socat);
    let stderr = '';
    socat.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-SOCAT_LOG_CHARS)));
    const end = Date.now() + 5000;
    while (!stderr.includes(SOCAT_READY)) {
      if (socat.exitCode !== null || socat.signalCode !== null || Date.now() > end) {
        const log = stderr.trim();
        if (log.includes('Address already in use')) throw new SocatPortTakenError(`netem: socat of side ${side} found port ${ownPort} taken`);
        throw new Error(`netem: socat of side ${side} did not start${log ? `: ${log}` : ' in time'}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    // socat gives up on the first failed send; from then on side `side` is cut off. Say so.
    socat.once('exit', (code, signal) => {
      if (!this.done) process.stderr.write(`netem: socat of side ${side} exited (${signal ?? `code ${code}`}): ${stderr.trim()}\n`);
    });
  }

  /** Moves a side's TUN into its namespace and configures it there (the move wipes addresses). */
  private moveInto(side: Side): void {
    const ns = this.namespaces[side];
    const dev = NETEM_INTERFACE[side];
    ip(['link', 'set', this.tunNames[side], 'netns', ns]);
    ip(
      ['-n', ns, '-batch', '-'],
      [
        `link set ${this.tunNames[side]} name ${dev}`,
        // No IPv6 link-local address: no router solicitations or MLD reports, so the router's
        // counters hold only the traffic a run sends.
        `link set ${dev} addrgenmode none`,
        `addr add ${NETEM_ADDRESS[side]}/24 dev ${dev}`,
        `link set ${dev} up`,
        'link set lo up',
        `route add default dev ${dev}`,
      ].join('\n'),
    );
  }
}

/** A UDP port on 127.0.0.1 that was free a moment ago (socat needs a fixed one to bind). */
function freeUdpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = createSocket('udp4');
    socket.once('error', reject);
    socket.bind(0, '127.0.0.1', () => {
      const { port } = socket.address();
      socket.close(() => resolve(port));
    });
  });
}

/**
 * Namespaces left by a run that died without teardown (SIGKILL): their owner's pid, in the name,
 * is gone from our pid namespace. Removing them here keeps such leaks from piling up in /run/netns.
 */
function removeStaleNamespaces(): void {
  let names: string[];
  try {
    names = readdirSync('/run/netns');
  } catch {
    return;
  }
  for (const ns of names) {
    const [, ownerPidNamespace, owner] = NAME.exec(ns) ?? [];
    if (ownerPidNamespace !== pidNamespace() || isRunning(Number(owner))) continue;
    killAndWait(ipQuiet(['netns', 'pids', ns]).split('\n').filter(Boolean).map(Number));
    ipQuiet(['netns', 'del', ns]);
  }
}
