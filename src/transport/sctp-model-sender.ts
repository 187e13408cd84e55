/**
 * Send side of the sctp-model baseline: fragmentation into DATA chunks, the T3-rtx timer,
 * fast retransmit after 3 miss indications, and cwnd-based congestion control with slow start,
 * congestion avoidance and fast recovery (RFC 4960 §6.3, §7.2; dcsctp's defaults).
 */
import type { RtoEstimator } from './sctp-model-rto.js';
import { dataChunkBytes, type DataChunk, type SackChunk } from './sctp-model-wire.js';

export interface SenderOptions {
  mtu: number;
  maxPayloadPerChunk: number;
  initialTsn: number;
  cwndInitialMtus: number;
  cwndMinMtus: number;
  fastRetransmitThreshold: number;
  maxRtoMs: number;
}

export interface SenderStats {
  cwnd: number;
  ssthresh: number;
  flightSize: number;
  dataChunksSent: number;
  retransmittedChunks: number;
  fastRetransmits: number;
  t3Expirations: number;
}

type ChunkState = 'in-flight' | 'gap-acked' | 'to-retransmit';

interface Outstanding {
  chunk: DataChunk;
  bytes: number;
  state: ChunkState;
  /** Transmission order of the latest copy; a miss is only counted against older transmissions. */
  transmission: number;
  sentAt: number;
  retransmitted: boolean;
  misses: number;
}

export class SctpModelSender {
  private readonly queue: DataChunk[] = [];
  private queueHead = 0;
  private queuedBytes = 0;
  private nextTsn: number;
  private nextSsn = 0;
  /** Sent and not yet cumulatively acknowledged, in TSN order. */
  private outstanding: Outstanding[] = [];
  private cumulativeAckTsn: number;
  private flight = 0;
  private cwnd: number;
  private ssthresh = Number.POSITIVE_INFINITY;
  private partialBytesAcked = 0;
  private fastRecoveryExitTsn: number | undefined;
  /** The first packet after entering fast recovery may ignore cwnd (RFC 4960 §7.2.4). */
  private fastRetransmitBypass = false;
  private transmissions = 0;
  private t3ExpiresAt: number | undefined;
  private t3Backoff = 0;
  private readonly stats: SenderStats;

  constructor(
    private readonly options: SenderOptions,
    private readonly rto: RtoEstimator,
  ) {
    this.nextTsn = options.initialTsn;
    this.cumulativeAckTsn = options.initialTsn - 1;
    this.cwnd = options.cwndInitialMtus * options.mtu;
    this.stats = { cwnd: this.cwnd, ssthresh: this.ssthresh, flightSize: 0, dataChunksSent: 0, retransmittedChunks: 0, fastRetransmits: 0, t3Expirations: 0 };
  }

  /** Fragments a message into chunks. TSNs are assigned here: one ordered stream, no abandonment. */
  enqueue(data: Uint8Array): void {
    const ssn = this.nextSsn++ & 0xffff;
    const max = this.options.maxPayloadPerChunk;
    const count = Math.max(1, Math.ceil(data.byteLength / max));
    for (let i = 0; i < count; i++) {
      const payload = data.slice(i * max, Math.min(data.byteLength, (i + 1) * max));
      this.queue.push({ tsn: this.nextTsn++, ssn, begin: i === 0, end: i === count - 1, payload });
      this.queuedBytes += payload.byteLength;
    }
  }

  /** Bytes accepted by send() and not yet transmitted once (what bufferedAmount reports). */
  get bufferedAmount(): number {
    return this.queuedBytes;
  }

  /** Whether a packet built now would carry DATA. */
  get canSend(): boolean {
    if (this.hasRetransmissions()) return this.fastRetransmitBypass || this.flight < this.cwnd;
    return this.queueHead < this.queue.length && this.flight < this.cwnd;
  }

  nextTimeout(): number | undefined {
    return this.t3ExpiresAt;
  }

  snapshot(): SenderStats {
    return { ...this.stats, cwnd: this.cwnd, ssthresh: this.ssthresh, flightSize: this.flight };
  }

  /** Picks the DATA chunks for one packet with `room` bytes left: retransmissions first, then new data. */
  takeChunks(room: number, now: number): DataChunk[] {
    const chunks: DataChunk[] = [];
    for (const entry of this.outstanding) {
      if (entry.state !== 'to-retransmit') continue;
      if (entry.bytes > room || (!this.fastRetransmitBypass && this.flight >= this.cwnd)) break;
      this.transmit(entry, now);
      entry.retransmitted = true;
      this.stats.retransmittedChunks++;
      chunks.push(entry.chunk);
      room -= entry.bytes;
    }
    // The bypass covers one packet of retransmissions, whenever that packet goes out.
    if (chunks.length > 0) this.fastRetransmitBypass = false;
    while (!this.hasRetransmissions() && this.queueHead < this.queue.length && this.flight < this.cwnd) {
      const chunk = this.queue[this.queueHead] as DataChunk;
      const bytes = dataChunkBytes(chunk.payload.byteLength);
      if (bytes > room) break;
      this.queueHead++;
      this.queuedBytes -= chunk.payload.byteLength;
      const entry: Outstanding = { chunk, bytes, state: 'in-flight', transmission: 0, sentAt: now, retransmitted: false, misses: 0 };
      this.outstanding.push(entry);
      this.transmit(entry, now);
      chunks.push(chunk);
      room -= bytes;
    }
    if (this.queueHead > 1024 && this.queueHead * 2 > this.queue.length) {
      this.queue.splice(0, this.queueHead);
      this.queueHead = 0;
    }
    if (chunks.length > 0) this.t3ExpiresAt ??= now + this.t3Duration();
    return chunks;
  }

  onSack(sack: SackChunk, now: number): void {
    // A SACK older than one already seen says nothing new (RFC 4960 §6.2.1).
    if (sack.cumulativeTsn < this.cumulativeAckTsn) return;
    const mtu = this.options.mtu;
    const fullyUtilized = this.flight + mtu >= this.cwnd;
    const wasInFastRecovery = this.fastRecoveryExitTsn !== undefined;
    const cumulativeAdvanced = sack.cumulativeTsn > this.cumulativeAckTsn;
    let ackedBytes = 0;
    let newestAckedTransmission = -1;
    let rttSample: number | undefined;
    const ack = (entry: Outstanding): void => {
      if (entry.state === 'gap-acked') return;
      if (entry.state === 'in-flight') this.flight -= entry.bytes;
      entry.state = 'gap-acked';
      ackedBytes += entry.bytes;
      if (entry.transmission > newestAckedTransmission) {
        newestAckedTransmission = entry.transmission;
        // Karn's rule: only chunks sent once give an unambiguous RTT.
        rttSample = entry.retransmitted ? undefined : now - entry.sentAt;
      }
    };

    let removed = 0;
    while (removed < this.outstanding.length && (this.outstanding[removed] as Outstanding).chunk.tsn <= sack.cumulativeTsn) {
      ack(this.outstanding[removed] as Outstanding);
      removed++;
    }
    this.outstanding = this.outstanding.slice(removed);
    this.cumulativeAckTsn = sack.cumulativeTsn;
    for (const [start, end] of sack.gapBlocks) {
      const first = sack.cumulativeTsn + start;
      const last = sack.cumulativeTsn + end;
      for (const entry of this.outstanding) {
        if (entry.chunk.tsn > last) break;
        if (entry.chunk.tsn >= first) ack(entry);
      }
    }
    if (rttSample !== undefined) this.rto.observe(rttSample);

    this.countMisses(newestAckedTransmission);
    if (this.fastRecoveryExitTsn !== undefined && this.cumulativeAckTsn >= this.fastRecoveryExitTsn) this.fastRecoveryExitTsn = undefined;

    if (cumulativeAdvanced && !wasInFastRecovery) this.growCwnd(ackedBytes, fullyUtilized);

    if (!this.outstanding.some((e) => e.state !== 'gap-acked')) {
      this.t3ExpiresAt = undefined;
      this.t3Backoff = 0;
      this.partialBytesAcked = 0;
    } else if (cumulativeAdvanced) {
      this.t3Backoff = 0;
      this.t3ExpiresAt = now + this.t3Duration();
    }
  }

  onTimeout(now: number): void {
    if (this.t3ExpiresAt === undefined || this.t3ExpiresAt > now) return;
    // RFC 4960 §6.3.3 and §7.2.3: collapse cwnd to one MTU and resend everything unacknowledged.
    this.stats.t3Expirations++;
    this.ssthresh = Math.max(Math.floor(this.cwnd / 2), this.options.cwndMinMtus * this.options.mtu);
    this.cwnd = this.options.mtu;
    this.partialBytesAcked = 0;
    this.fastRecoveryExitTsn = undefined;
    for (const entry of this.outstanding) {
      if (entry.state !== 'in-flight') continue;
      entry.state = 'to-retransmit';
      this.flight -= entry.bytes;
    }
    this.t3Backoff++;
    this.t3ExpiresAt = undefined; // restarted by the retransmission
  }

  private hasRetransmissions(): boolean {
    return this.outstanding.some((e) => e.state === 'to-retransmit');
  }

  private transmit(entry: Outstanding, now: number): void {
    entry.state = 'in-flight';
    entry.transmission = ++this.transmissions;
    entry.sentAt = now;
    entry.misses = 0;
    this.flight += entry.bytes;
    this.stats.dataChunksSent++;
  }

  /**
   * A chunk still in flight that was sent before the newest chunk this SACK acknowledged was
   * missed once more. On the threshold it is marked for fast retransmit and, unless already in
   * fast recovery, cwnd halves (RFC 4960 §7.2.4).
   */
  private countMisses(newestAckedTransmission: number): void {
    let marked = false;
    for (const entry of this.outstanding) {
      if (entry.state !== 'in-flight' || entry.transmission >= newestAckedTransmission) continue;
      if (++entry.misses < this.options.fastRetransmitThreshold) continue;
      entry.state = 'to-retransmit';
      this.flight -= entry.bytes;
      marked = true;
    }
    if (!marked) return;
    this.stats.fastRetransmits++;
    if (this.fastRecoveryExitTsn === undefined) {
      this.ssthresh = Math.max(Math.floor(this.cwnd / 2), this.options.cwndMinMtus * this.options.mtu);
      this.cwnd = this.ssthresh;
      this.partialBytesAcked = 0;
      this.fastRecoveryExitTsn = (this.outstanding[this.outstanding.length - 1] as Outstanding).chunk.tsn;
      this.fastRetransmitBypass = true;
    }
  }

  /** RFC 4960 §7.2.1 slow start and §7.2.2 congestion avoidance, only while cwnd is being used. */
  private growCwnd(ackedBytes: number, fullyUtilized: boolean): void {
    const mtu = this.options.mtu;
    if (this.cwnd <= this.ssthresh) {
      if (fullyUtilized) this.cwnd += Math.min(ackedBytes, mtu);
      return;
    }
    this.partialBytesAcked += ackedBytes;
    if (this.partialBytesAcked >= this.cwnd && fullyUtilized) {
      this.partialBytesAcked -= this.cwnd;
      this.cwnd += mtu;
    }
  }

  private t3Duration(): number {
    return Math.min(this.rto.rto * 2 ** this.t3Backoff, this.options.maxRtoMs);
  }
}
