import type { RTCDataChannel, RTCPeerConnection } from 'werift';
import { EarlyArrivals, type DatagramChannel } from '../transport/datachannel.js';
import { patchWeriftRto, weriftAssociation } from './werift-peer.js';

export interface WeriftAdapterOptions {
  /** Bound on what werift holds, its SCTP flight and outbound queue together, bytes (default 128 KiB). */
  highWaterBytes?: number;
  /** How often to look for the queue draining, ms (werift has no usable low-water event). */
  drainPollMs?: number;
}

/**
 * werift's data channel. Its `bufferedAmount` never goes down (ENVIRONMENT.md), so the queue is
 * read from the SCTP association: the bytes still waiting in werift's outbound queue, which is
 * what Chromium's `bufferedAmount` counts too. Bytes in SCTP's flight are on the wire: counting
 * them would make an idle path look congested and hold PDU's retransmissions back for nothing.
 *
 * What werift holds in all, flight and queue, stays within two of its own congestion windows:
 * its SCTP drops the window to one chunk after a retransmission timeout and climbs back slowly,
 * and whatever it holds then waits seconds; on a clean path its window opens without limit, and
 * PDU's own startup could then push bursts werift and the host's buffers drop. The room left
 * under that bound is the adapter's high-water mark for the queue. The association's
 * retransmission timeout loses werift's 1 s floor (patchWeriftRto): PDU's traffic must not wait
 * a second behind a chunk lost at the tail of a flight.
 */
export function adaptWeriftDataChannel(pc: RTCPeerConnection, channel: RTCDataChannel, options: WeriftAdapterOptions = {}): DatagramChannel {
  const maxHeldBytes = options.highWaterBytes ?? 128 * 1024;
  let lowWaterBytes = Math.floor(maxHeldBytes / 2);
  const highWater = (): number => {
    const association = weriftAssociation(pc);
    if (!association) return maxHeldBytes;
    return Math.max(0, Math.min(maxHeldBytes, Math.max(2 * association.cwnd, 8 * 1024)) - association.flightSize);
  };
  const drainPollMs = options.drainPollMs ?? 5;
  let sentBytes = 0;
  const writable = new Set<() => void>();
  let drainTimer: ReturnType<typeof setInterval> | undefined;
  const inbound = new EarlyArrivals();
  channel.onMessage.subscribe((data) => {
    if (typeof data !== 'string') inbound.push(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  });

  const queuedBytes = (): number => {
    const association = weriftAssociation(pc) as
      | (ReturnType<typeof weriftAssociation> & { outboundQueue?: Array<{ userData?: Uint8Array }> })
      | undefined;
    let queued = 0;
    for (const chunk of association?.outboundQueue ?? []) queued += chunk.userData?.length ?? 0;
    return queued;
  };

  /** The queue has not drained to the low-water mark, or werift has no room left at all. */
  const waitingForRoom = (): boolean => {
    const queued = queuedBytes();
    return queued > lowWaterBytes || queued >= highWater();
  };

  // Poll only while someone waits for the queue to drain.
  const watchDrain = () => {
    if (drainTimer !== undefined) return;
    drainTimer = setInterval(() => {
      if (waitingForRoom() && channel.readyState === 'open') return;
      clearInterval(drainTimer);
      drainTimer = undefined;
      for (const handler of writable) handler();
    }, drainPollMs);
  };

  patchWeriftRto(pc);
  return {
    label: channel.label,
    get open() {
      return channel.readyState === 'open';
    },
    get highWaterBytes() {
      return highWater();
    },
    sendRoom() {
      const association = weriftAssociation(pc);
      return association ? association.cwnd - association.flightSize - queuedBytes() : 0;
    },
    setLowWater(bytes) {
      lowWaterBytes = bytes;
    },
    whenOpen: async () => {
      if (channel.readyState !== 'open') {
        const state = await channel.stateChanged.watch((st) => st === 'open' || st === 'closed');
        if (state[0] !== 'open') throw new Error('data channel closed before it opened');
      }
      // The association exists by now, if it did not when the channel was adapted.
      patchWeriftRto(pc);
    },
    queuedBytes,
    // One SCTP association that PDU keeps from retransmitting: one FIFO lane.
    pickLane: () => 0,
    laneLoads() {
      return [{ open: this.open, queuedBytes: queuedBytes(), room: this.sendRoom!(), sentBytes }];
    },
    // The outbound queue holds what the SCTP window keeps back; the flight has left.
    laneBacklog(lane) {
      if (lane !== 0) return undefined;
      const queued = queuedBytes();
      const association = weriftAssociation(pc);
      return { departedBytes: sentBytes - queued, knownBytes: sentBytes, room: association ? association.cwnd - association.flightSize - queued : 0 };
    },
    send(datagram) {
      channel.send(Buffer.from(datagram.buffer, datagram.byteOffset, datagram.byteLength));
      sentBytes += datagram.byteLength;
      if (waitingForRoom()) watchDrain();
    },
    onDatagram: (handler) => inbound.attach(handler),
    onWritable(handler) {
      writable.add(handler);
    },
    onClose(handler) {
      channel.stateChanged.subscribe((state) => state === 'closed' && handler());
    },
    async sample() {
      const association = weriftAssociation(pc);
      return {
        queueBytes: queuedBytes(),
        ...(association?.srtt ? { rttMs: association.srtt * 1000 } : {}),
        ...(association ? { transportCwndBytes: association.cwnd } : {}),
      };
    },
    close() {
      if (drainTimer !== undefined) clearInterval(drainTimer);
      channel.close();
    },
  };
}
