/**
 * Receive side of the sctp-model baseline: in-order reassembly of one reliable ordered stream and
 * the SACK policy (RFC 4960 §6.2 / §6.7 as dcsctp applies it): SACK every second DATA packet,
 * immediately on a gap, a duplicate or a filled gap, otherwise after the delayed-ack timeout.
 */
import { COMMON_HEADER_BYTES, SACK_CHUNK_HEADER_BYTES, type DataChunk, type SackChunk } from './sctp-model-wire.js';

export interface DeliveredMessage {
  /** Delivery index; equals the sender's message id, since the channel is reliable and ordered. */
  id: number;
  data: Uint8Array;
  /** Virtual time at which the whole message became deliverable. */
  at: number;
}

export class SctpModelReceiver {
  private cumulativeTsn: number;
  /** Chunks above the cumulative TSN, waiting for the gap below them to fill. */
  private readonly aboveCumulative = new Map<number, DataChunk>();
  /** Parts of the message being reassembled from in-order chunks. */
  private parts: Uint8Array[] = [];
  private delivered: DeliveredMessage[] = [];
  private deliveredHead = 0;
  private deliveredCount = 0;
  private packetsSinceSack = 0;
  private sackNow = false;
  private delayedSackAt: number | undefined;

  constructor(
    initialTsn: number,
    private readonly maxSackBytes: number,
    private readonly advertisedWindow: number,
  ) {
    this.cumulativeTsn = initialTsn - 1;
  }

  /** Takes the DATA chunks of one received packet. */
  onDataPacket(chunks: readonly DataChunk[], now: number, delayedAckMs: number): void {
    const hadGap = this.aboveCumulative.size > 0;
    let duplicate = false;
    for (const chunk of chunks) {
      if (chunk.tsn <= this.cumulativeTsn || this.aboveCumulative.has(chunk.tsn)) {
        duplicate = true;
        continue;
      }
      this.aboveCumulative.set(chunk.tsn, chunk);
    }
    this.advanceCumulative(now);
    this.packetsSinceSack++;
    if (duplicate || hadGap || this.aboveCumulative.size > 0 || this.packetsSinceSack >= 2) this.sackNow = true;
    else this.delayedSackAt ??= now + delayedAckMs;
  }

  onTimeout(now: number): void {
    if (this.delayedSackAt !== undefined && this.delayedSackAt <= now) {
      this.delayedSackAt = undefined;
      this.sackNow = true;
    }
  }

  nextTimeout(): number | undefined {
    return this.delayedSackAt;
  }

  /** A SACK must go out now. */
  get sackDue(): boolean {
    return this.sackNow;
  }

  /** Data arrived that no SACK has covered yet (worth bundling with outgoing DATA). */
  get sackPending(): boolean {
    return this.packetsSinceSack > 0;
  }

  buildSack(): SackChunk {
    this.sackNow = false;
    this.delayedSackAt = undefined;
    this.packetsSinceSack = 0;
    const above = [...this.aboveCumulative.keys()].sort((x, y) => x - y);
    const maxBlocks = Math.floor((this.maxSackBytes - COMMON_HEADER_BYTES - SACK_CHUNK_HEADER_BYTES) / 4);
    const gapBlocks: Array<readonly [number, number]> = [];
    for (let i = 0; i < above.length && gapBlocks.length < maxBlocks; ) {
      const first = above[i] as number;
      let last = first;
      while (i + 1 < above.length && above[i + 1] === last + 1) last = above[++i] as number;
      i++;
      const start = first - this.cumulativeTsn;
      const end = last - this.cumulativeTsn;
      // Offsets are 16-bit on the wire; a hole that far back is reported once it fills.
      if (end > 0xffff) break;
      gapBlocks.push([start, end]);
    }
    return { cumulativeTsn: this.cumulativeTsn, advertisedWindow: this.advertisedWindow, gapBlocks };
  }

  pollDelivered(): DeliveredMessage | undefined {
    const message = this.delivered[this.deliveredHead];
    if (!message) return undefined;
    this.deliveredHead++;
    if (this.deliveredHead === this.delivered.length) {
      this.delivered = [];
      this.deliveredHead = 0;
    }
    return message;
  }

  private advanceCumulative(now: number): void {
    for (let chunk = this.aboveCumulative.get(this.cumulativeTsn + 1); chunk; chunk = this.aboveCumulative.get(this.cumulativeTsn + 1)) {
      this.aboveCumulative.delete(++this.cumulativeTsn);
      if (chunk.begin) this.parts = [];
      this.parts.push(chunk.payload);
      if (chunk.end) this.deliver(now);
    }
  }

  private deliver(now: number): void {
    const size = this.parts.reduce((s, p) => s + p.byteLength, 0);
    const data = new Uint8Array(size);
    let at = 0;
    for (const part of this.parts) {
      data.set(part, at);
      at += part.byteLength;
    }
    this.parts = [];
    this.delivered.push({ id: this.deliveredCount++, data, at: now });
  }
}
