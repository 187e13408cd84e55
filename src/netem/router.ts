/**
 * The userspace router between the two namespaces. Each side's socat bridges a TUN device to a UDP
 * socket on 127.0.0.1, one IP packet per datagram; the router forwards each direction through the
 * simulator's own `Link` (same loss models, bottleneck queue and delay code), on the wall clock.
 * Node-only.
 */
import { createSocket, type Socket } from 'node:dgram';
import { performance } from 'node:perf_hooks';
import { Link, type LinkCounters } from '../transport/link.js';
import { Rng } from '../transport/rng.js';
import { linkConfigFromSpec, type LinkSpec } from './link-spec.js';

export type Direction = 'aToB' | 'bToA';
const DIRECTIONS: readonly Direction[] = ['aToB', 'bToA'];

export interface DirectionCounters extends LinkCounters {
  /** Bytes in the bottleneck queue and packets on their way when the counters were read. */
  queuedBytes: number;
  packetsInFlight: number;
  /** Datagrams that failed to go out to the far side's socat (e.g. ENOBUFS). */
  sendErrors: number;
  /**
   * The same traffic split by IP protocol, so a benchmark can tell its own flow (WebRTC: UDP)
   * from a competing one (a TCP bulk transfer) on the same link.
   */
  byProtocol: Record<IpProtocol, ProtocolCounters>;
}

export type IpProtocol = 'udp' | 'tcp' | 'other';

/** Per IP protocol: packets and bytes offered to the link, and what became of them there. */
export interface ProtocolCounters {
  offeredPackets: number;
  offeredBytes: number;
  /** Lost by the loss model. */
  lostPackets: number;
  /** Tail-dropped at the bottleneck queue (a duplicate whose copies were all dropped counts once). */
  droppedPackets: number;
  /** The largest packet offered so far, bytes (what the stacks above take the path MTU to be). */
  largestPacketBytes: number;
  /**
   * Packets offered by IP size in bytes: what the stacks above put on the wire, e.g. full data
   * packets, SACK-only packets and PDU's ACKs, told apart by size. At most one key per size.
   */
  packetsBySize: Record<number, number>;
}

/** The protocol field of an IPv4 header (an IPv6 packet's next header); 'other' for anything else. */
export function ipProtocol(packet: Uint8Array): IpProtocol {
  const version = (packet[0] ?? 0) >> 4;
  const proto = version === 4 ? packet[9] : version === 6 ? packet[6] : undefined;
  return proto === 17 ? 'udp' : proto === 6 ? 'tcp' : 'other';
}

const copy = (c: ProtocolCounters): ProtocolCounters => ({ ...c, packetsBySize: { ...c.packetsBySize } });

const zeroCounters = (): ProtocolCounters => ({ offeredPackets: 0, offeredBytes: 0, lostPackets: 0, droppedPackets: 0, largestPacketBytes: 0, packetsBySize: {} });

const protocolCounters = (): Record<IpProtocol, ProtocolCounters> => ({ udp: zeroCounters(), tcp: zeroCounters(), other: zeroCounters() });

/** All byte counts are IP bytes: the whole packet the TUN device carried. */
export interface RouterCounters {
  aToB: DirectionCounters;
  bToA: DirectionCounters;
  /** Datagrams on the router's ports from anyone but the expected socat (ignored). */
  foreignDatagrams: number;
  /** CPU time the router's process has used so far (user + system). */
  cpuMs: number;
}

export interface RouterOptions {
  /** UDP ports (on 127.0.0.1) of the socat bridges of side a and side b. */
  socatPortA: number;
  socatPortB: number;
  /** Seed of the loss and jitter draws (default 1); each direction draws from its own stream. */
  seed?: number;
  aToB?: LinkSpec;
  bToA?: LinkSpec;
  tracesDir?: string;
}

const HOST = '127.0.0.1';

interface Leg {
  link: Link;
  /** Where packets of this direction come from and go to. */
  inbound: Socket;
  outbound: Socket;
  fromPort: number;
  toPort: number;
  sendErrors: number;
  byProtocol: Record<IpProtocol, ProtocolCounters>;
}

export class NetemRouter {
  private readonly legs: Record<Direction, Leg>;
  private foreign = 0;
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Infinity;
  private closed = false;

  private constructor(
    private readonly socketA: Socket,
    private readonly socketB: Socket,
    private readonly options: RouterOptions,
  ) {
    const rng = new Rng(options.seed ?? 1);
    const leg = (label: Direction, inbound: Socket, outbound: Socket, fromPort: number, toPort: number): Leg => ({
      link: new Link(rng.fork(label === 'aToB' ? 'a->b' : 'b->a'), linkConfigFromSpec(options[label] ?? {}, options.tracesDir)),
      inbound,
      outbound,
      fromPort,
      toPort,
      sendErrors: 0,
      byProtocol: protocolCounters(),
    });
    this.legs = {
      aToB: leg('aToB', socketA, socketB, options.socatPortA, options.socatPortB),
      bToA: leg('bToA', socketB, socketA, options.socatPortB, options.socatPortA),
    };
    for (const direction of DIRECTIONS) {
      const { inbound, fromPort, link, byProtocol } = this.legs[direction];
      inbound.on('message', (packet, from) => {
        if (from.port !== fromPort || from.address !== HOST) {
          this.foreign++;
          return;
        }
        const outcome = link.offer(packet, performance.now());
        const counts = byProtocol[ipProtocol(packet)];
        counts.offeredPackets++;
        counts.offeredBytes += packet.byteLength;
        if (packet.byteLength > counts.largestPacketBytes) counts.largestPacketBytes = packet.byteLength;
        counts.packetsBySize[packet.byteLength] = (counts.packetsBySize[packet.byteLength] ?? 0) + 1;
        if (outcome === 'lost') counts.lostPackets++;
        else if (outcome === 'dropped') counts.droppedPackets++;
        this.pump();
      });
    }
  }

  /** Binds the router's two ports (ephemeral, on 127.0.0.1) and starts forwarding. */
  static async start(options: RouterOptions): Promise<NetemRouter> {
    const bind = (): Promise<Socket> =>
      new Promise((resolve, reject) => {
        // Large buffers: a socat can hand over a burst of full-size packets faster than one event-loop turn.
        const socket = createSocket({ type: 'udp4', recvBufferSize: 4 << 20, sendBufferSize: 4 << 20 });
        socket.once('error', reject);
        socket.bind(0, HOST, () => resolve(socket));
      });
    const a = await bind();
    const b = await bind().catch((err: unknown) => {
      a.close();
      throw err;
    });
    return new NetemRouter(a, b, options);
  }

  /** The ports the socats must send to: side a's socat to `a`, side b's to `b`. */
  get ports(): { a: number; b: number } {
    return { a: this.socketA.address().port, b: this.socketB.address().port };
  }

  /**
   * Changes impairment while traffic flows; with 'both' each direction gets its own model
   * instance. Packets already queued keep their schedule. A bad spec throws and changes nothing.
   */
  configure(direction: Direction | 'both', spec: LinkSpec): void {
    const targets = direction === 'both' ? DIRECTIONS : [direction];
    const configs = targets.map((d) => [d, linkConfigFromSpec(spec, this.options.tracesDir)] as const);
    for (const [d, config] of configs) this.legs[d].link.configure(config);
  }

  counters(): RouterCounters {
    const now = performance.now();
    const of = (d: Direction): DirectionCounters => {
      const { link, sendErrors, byProtocol } = this.legs[d];
      return {
        ...link.counters,
        queuedBytes: link.queuedBytes(now),
        packetsInFlight: link.packetsInFlight,
        sendErrors,
        byProtocol: { udp: copy(byProtocol.udp), tcp: copy(byProtocol.tcp), other: copy(byProtocol.other) },
      };
    };
    const cpu = process.cpuUsage();
    return { aToB: of('aToB'), bToA: of('bToA'), foreignDatagrams: this.foreign, cpuMs: (cpu.user + cpu.system) / 1000 };
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.timer);
    this.socketA.close();
    this.socketB.close();
  }

  /** Sends every packet that is due, then arms one timer for the earliest one still on its way. */
  private pump(): void {
    if (this.closed) return;
    const now = performance.now();
    let next = Infinity;
    for (const direction of DIRECTIONS) {
      const leg = this.legs[direction];
      for (let packet = leg.link.poll(now); packet; packet = leg.link.poll(now)) {
        leg.outbound.send(packet, leg.toPort, HOST, (err) => {
          if (err) leg.sendErrors++;
        });
      }
      next = Math.min(next, leg.link.nextDeliveryTime() ?? Infinity);
    }
    if (next === this.timerAt) return;
    clearTimeout(this.timer);
    this.timerAt = next;
    // Node timers fire on whole milliseconds at best: a packet leaves up to ~1 ms after it is due.
    this.timer = next === Infinity ? undefined : setTimeout(() => {
      this.timerAt = Infinity;
      this.pump();
    }, Math.max(0, next - now));
  }
}
