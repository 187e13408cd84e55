import { SecureSession, type SessionReceive } from '../crypto/index.js';
import { dataHeaderLength, encodeControlFrames, SEALED_PREFIX_LENGTH, TAG_LENGTH, type ControlFrame, type FragmentHeader } from '../wire/index.js';
import type { Range } from '../recovery/range-set.js';
import type { PduConfig } from './config.js';
import type { OutgoingMessage } from './outgoing-message.js';
import { SessionClock } from './session-clock.js';

/** Control frames in the engine's own terms (ranges as {start, end}). */
export interface ControlBatch {
  ack?: { largest: number; ackDelayMs: number; ranges: Range[] };
  nack?: Range[];
  probe?: { id: number; sendTime: number };
  echo?: { id: number; echoedSendTime: number; holdTime: number };
  cancels?: number[];
  cancelAnswers?: { completed: number[]; abandoned: number[] };
}

/** What the engine makes of a received datagram. */
export type LinkReceive =
  | { kind: 'handshake'; reply: Uint8Array[]; keyed: boolean }
  | { kind: 'established'; sas: string }
  /** `fragment.data` is valid until the next `receive` (the session reuses its buffer). */
  | { kind: 'data'; packetNumber: number; sharded: boolean; fragment: FragmentHeader; establishedNow: boolean }
  | { kind: 'control'; packetNumber: number; frames: ControlFrame[]; establishedNow: boolean }
  | { kind: 'failed'; reason: string }
  | { kind: 'dropped'; reason: string; reply?: Uint8Array[] };

/**
 * The engine's only door to the crypto session and the wire encoding: the rest of the engine
 * speaks in fragments, ranges and frames, and never sees keys or byte layouts.
 */
export class SessionLink {
  readonly session: SecureSession;
  readonly clock = new SessionClock();

  constructor(private readonly config: PduConfig) {
    const s = config.security;
    this.session = new SecureSession({
      role: config.role,
      maxDatagramSize: config.maxDatagramSize,
      ...(config.core ? { aead: config.core } : {}),
      ...(s.psk ? { psk: s.psk } : {}),
      ...(s.localFingerprint !== undefined ? { localFingerprint: s.localFingerprint } : {}),
      ...(s.remoteFingerprint !== undefined ? { remoteFingerprint: s.remoteFingerprint } : {}),
      ...(s.randomBytes ? { randomBytes: s.randomBytes } : {}),
      ...(s.rekeyAfterPackets !== undefined ? { rekeyAfterPackets: s.rekeyAfterPackets } : {}),
      ...(s.rekeyAfterMs !== undefined ? { rekeyAfterMs: s.rekeyAfterMs } : {}),
      ...(s.replayWindow !== undefined ? { replayWindow: s.replayWindow } : {}),
    });
  }

  get state() {
    return this.session.state;
  }

  get sas(): string | undefined {
    return this.session.sas;
  }

  /** Largest fragment payload any message can use (worst-case header), for receive-side bounds. */
  get maxPayload(): number {
    return this.session.maxFragmentPayload(this.config.maxDatagramSize, false);
  }

  hello(now: number): Uint8Array {
    return this.session.hello(now);
  }

  uuid(direction: 'send' | 'receive', messageNumber: number): string {
    return this.session.messageUuid(direction, messageNumber);
  }

  /**
   * Exact payload per datagram for this message: the datagram size minus this message's own
   * header (its varints are usually shorter than the worst case) and the tag. Found by fixing
   * the fragment count, which the header length depends on, in two passes.
   */
  payloadFor(message: OutgoingMessage): { payload: number; overhead: number } {
    const size = this.config.maxDatagramSize;
    let overhead = this.overheadFor(message, Math.max(1, Math.ceil(message.data.length / this.maxPayload)));
    const total = Math.max(1, Math.ceil(message.data.length / (size - overhead)));
    overhead = this.overheadFor(message, total);
    return { payload: size - overhead, overhead };
  }

  /** Header plus tag bytes of this message's largest-numbered fragment when cut into `total`. */
  overheadFor(message: OutgoingMessage, total: number): number {
    return (
      dataHeaderLength({
        messageNumber: message.messageNumber,
        sequenceNumber: Math.max(0, total - 1),
        totalFragments: total,
        ordered: message.ordered,
        reliable: message.reliable,
        orderedSequence: message.orderedSequence,
        deadline: message.deadline === undefined ? undefined : 0,
      }) + TAG_LENGTH
    );
  }

  sealFragment(message: OutgoingMessage, sequence: number, flags: { ackNow: boolean; copy: boolean }, now: number): { bytes: Uint8Array; packetNumber: number } {
    return this.session.sealData(
      {
        messageNumber: message.messageNumber,
        sequenceNumber: sequence,
        totalFragments: message.totalFragments,
        ordered: message.ordered,
        reliable: message.reliable && message.deadline === undefined,
        orderedSequence: message.orderedSequence,
        deadline: message.deadline === undefined ? undefined : this.clock.toWire(message.deadline, now),
        ...(flags.ackNow ? { ackNow: true } : {}),
        ...(flags.copy ? { copy: true } : {}),
        data: message.fragment(sequence),
      },
      { sharding: message.sharded },
      now,
    );
  }

  sealControl(batch: ControlBatch, now: number): { bytes: Uint8Array; packetNumber: number } {
    return this.session.sealControl(controlFrames(batch), now);
  }

  /** Bytes a CONTROL datagram has left for more frames once `batch` is in it. */
  controlRoom(batch: ControlBatch): number {
    const frames = controlFrames(batch);
    const body = frames.length > 0 ? encodeControlFrames(frames) : undefined;
    const used = body?.ok ? body.value.length : 0;
    return this.config.maxDatagramSize - SEALED_PREFIX_LENGTH - TAG_LENGTH - used;
  }

  /** A sent datagram's memory, free for a later one (SecureSession.recycle). */
  recycle(datagram: Uint8Array): void {
    this.session.recycle(datagram);
  }

  get datagramsReused(): number {
    return this.session.datagramsReused;
  }

  close(code: number, reason: string, now: number): Uint8Array | undefined {
    return this.session.close(code, reason, now);
  }

  receive(datagram: Uint8Array, now: number): LinkReceive {
    const r: SessionReceive = this.session.receive(datagram, now);
    switch (r.kind) {
      case 'handshake':
      case 'established':
        return r;
      case 'data':
        return { kind: 'data', packetNumber: r.packetNumber, sharded: r.header.shardingEnabled, fragment: r.fragment, establishedNow: r.establishedNow === true };
      case 'control':
        return { kind: 'control', packetNumber: r.packetNumber, frames: r.frames, establishedNow: r.establishedNow === true };
      case 'failed':
        return { kind: 'failed', reason: r.reason };
      case 'dropped':
        return r.reply ? { kind: 'dropped', reason: r.reason, reply: r.reply } : { kind: 'dropped', reason: r.reason };
    }
  }

  droppedCounters(): Record<string, number> {
    return { ...this.session.counters().dropped };
  }
}

function controlFrames(batch: ControlBatch): ControlFrame[] {
  const frames: ControlFrame[] = [];
  if (batch.ack) frames.push({ type: 'ack', ackDelay: batch.ack.ackDelayMs, ranges: toWireRanges(batch.ack.ranges) });
  if (batch.nack && batch.nack.length > 0) frames.push({ type: 'nack', ranges: toWireRanges(batch.nack) });
  if (batch.echo) frames.push({ type: 'echo', ...batch.echo });
  if (batch.probe) frames.push({ type: 'probe', ...batch.probe });
  if (batch.cancels && batch.cancels.length > 0) frames.push({ type: 'cancel', messageNumbers: batch.cancels });
  const answers = batch.cancelAnswers;
  if (answers && answers.completed.length + answers.abandoned.length > 0) frames.push({ type: 'cancel-result', ...answers });
  return frames;
}

/** Converts wire ranges ({smallest, largest}) to the engine's. */
export function fromWireRanges(ranges: readonly { smallest: number; largest: number }[]): Range[] {
  return ranges.map((r) => ({ start: r.smallest, end: r.largest }));
}

/**
 * The engine's ranges in wire form. A module function rather than a closure made per control
 * packet: under tsx (bench:core), esbuild's keepNames renames every such closure at creation.
 */
function toWireRanges(ranges: readonly Range[]): { smallest: number; largest: number }[] {
  return ranges.map((r) => ({ smallest: r.start, largest: r.end }));
}

