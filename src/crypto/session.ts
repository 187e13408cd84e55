/**
 * SecureSession: the sans-IO security layer of one PDU session. It produces handshake datagrams,
 * seals outgoing fragments and control frames, and opens, authenticates, de-duplicates and
 * decodes incoming datagrams. It never reads a clock (time comes in as `now`, ms), never throws on
 * peer input, and keeps bounded state whatever it is sent.
 */
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { randomBytes as systemRandomBytes } from '@noble/hashes/utils.js';
import {
  checkFragmentFields,
  dataHeaderLength,
  DatagramPool,
  decodeControlFrames,
  decodePrefix,
  decodeSealedPacket,
  decodeVersionPacket,
  DEFAULT_MAX_DATAGRAM_SIZE,
  encodeControlFrames,
  encodeVersionPacket,
  maxFragmentPayload,
  PacketType,
  reconstructPacketNumber,
  SEALED_PREFIX_LENGTH,
  SUPPORTED_VERSIONS,
  TAG_LENGTH,
  writeSealedHeader,
  type ControlFrame,
  type DecodeResult,
  type FragmentHeader,
  type PacketHeader,
  type PacketPrefix,
  type SealedPacket,
  type WireError,
} from '../wire/index.js';
import { referenceCore } from '../core/reference-core.js';
import { open, sealInto, type AeadProvider } from './aead.js';
import { constantTimeEqual } from './constant-time.js';
import { Handshake, type HelloOutcome, type RevealOutcome } from './handshake.js';
import { epochKeys } from './key-schedule.js';
import { DIRECTION_I2R, DIRECTION_R2I, MessageUuids } from './message-uuid.js';
import { ReceiveKeys } from './receive-keys.js';
import { ReplayWindow } from './replay-window.js';
import { sasFingerprint, shortAuthenticationString } from './sas.js';
import { SendKeys } from './send-keys.js';
import {
  DROP_REASONS,
  SessionError,
  type DropReason,
  type FailureReason,
  type SecurityCounters,
  type SessionConfig,
  type SessionReceive,
  type SessionState,
} from './types.js';

export const DEFAULT_REKEY_AFTER_PACKETS = 2 ** 24;
export const DEFAULT_REKEY_AFTER_MS = 10 * 60_000;
export const DEFAULT_KEY_GRACE_MS = 10_000;
export const DEFAULT_REPLAY_WINDOW = 1024;
/** At most one VERSION answer per this many ms, so junk cannot make us send at its rate. */
export const VERSION_REPLY_INTERVAL_MS = 1000;
const MIN_PSK_LENGTH = 16;
/** The largest handshake datagram (a HELLO listing one version) must fit. */
const MIN_DATAGRAM_SIZE = 70;

/** Everything that exists once the handshake produced keys. */
interface Keys {
  transcriptHash: Uint8Array;
  sas: string;
  fingerprint: string;
  uuids: MessageUuids;
  localFinished: Uint8Array;
  peerFinished: Uint8Array;
  sendDirection: number;
  receiveDirection: number;
  send: SendKeys;
  receive: ReceiveKeys;
  window: ReplayWindow;
}

export class SecureSession {
  private currentState: SessionState = 'handshaking';
  private failureReason: FailureReason | undefined;
  private keys: Keys | undefined;
  private readonly handshake: Handshake;
  private readonly config: Required<Pick<SessionConfig, 'rekeyAfterPackets' | 'rekeyAfterMs' | 'keyGraceMs' | 'replayWindow' | 'maxDatagramSize'>>;
  private readonly role: SessionConfig['role'];
  private lastVersionReplyAt = Number.NEGATIVE_INFINITY;
  private readonly stats: SecurityCounters;
  private readonly aead: AeadProvider;
  /**
   * Where DATA fragments are decrypted, reused for every datagram instead of a new buffer each:
   * a received fragment's `data` is valid until the next `receive` (the engine copies it into
   * reassembly at once). Datagrams larger than our own limit are opened into a fresh buffer.
   */
  private readonly fragmentPlaintext: Uint8Array;
  /**
   * `fragmentPlaintext` cut to the last plaintext length: full fragments all have one length, so
   * one view serves them all instead of a new typed array per datagram.
   */
  private plaintextView: Uint8Array;
  /** Where sealed datagrams are written: buffers the host gave back (`recycle`), else new ones. */
  private readonly datagrams: DatagramPool;

  /** Throws RangeError on an invalid configuration (never later, never on peer input). */
  constructor(config: SessionConfig) {
    if (config.role !== 'initiator' && config.role !== 'responder') throw new RangeError('role: initiator or responder');
    if (config.psk !== undefined && config.psk.length < MIN_PSK_LENGTH) {
      throw new RangeError(`psk: at least ${MIN_PSK_LENGTH} bytes`);
    }
    if ((config.localFingerprint === undefined) !== (config.remoteFingerprint === undefined)) {
      throw new RangeError('fingerprints: give both localFingerprint and remoteFingerprint, or neither');
    }
    if (config.maxDatagramSize !== undefined && config.maxDatagramSize < MIN_DATAGRAM_SIZE) {
      throw new RangeError(`maxDatagramSize: at least ${MIN_DATAGRAM_SIZE} bytes`);
    }
    this.role = config.role;
    this.aead = config.aead ?? referenceCore;
    this.config = {
      rekeyAfterPackets: positive(config.rekeyAfterPackets, DEFAULT_REKEY_AFTER_PACKETS, 'rekeyAfterPackets'),
      rekeyAfterMs: positive(config.rekeyAfterMs, DEFAULT_REKEY_AFTER_MS, 'rekeyAfterMs'),
      keyGraceMs: positive(config.keyGraceMs, DEFAULT_KEY_GRACE_MS, 'keyGraceMs'),
      replayWindow: positive(config.replayWindow, DEFAULT_REPLAY_WINDOW, 'replayWindow'),
      maxDatagramSize: positive(config.maxDatagramSize, DEFAULT_MAX_DATAGRAM_SIZE, 'maxDatagramSize'),
    };
    this.fragmentPlaintext = new Uint8Array(this.config.maxDatagramSize);
    this.datagrams = new DatagramPool(this.config.maxDatagramSize);
    this.plaintextView = this.fragmentPlaintext.subarray(0, 0);
    this.handshake = new Handshake({
      role: config.role,
      psk: config.psk?.slice(),
      localFingerprint: config.localFingerprint,
      remoteFingerprint: config.remoteFingerprint,
      randomBytes: config.randomBytes ?? systemRandomBytes,
    });
    this.stats = {
      sealed: 0,
      opened: 0,
      dropped: Object.fromEntries(DROP_REASONS.map((r) => [r, 0])) as Record<DropReason, number>,
      handshakeDuplicates: 0,
      sendEpoch: 0,
      receiveEpoch: 0,
      sendRekeys: 0,
      receiveRekeys: 0,
    };
  }

  get state(): SessionState {
    return this.currentState;
  }

  /** Why the session failed, once `state` is 'failed'. */
  get failure(): FailureReason | undefined {
    return this.failureReason;
  }

  /** The 4-character short authentication string both users compare, once keyed. */
  get sas(): string | undefined {
    return this.keys?.sas;
  }

  /** A 20-character rendering of the same hash, for longer out-of-band comparisons. */
  get sasFingerprint(): string | undefined {
    return this.keys?.fingerprint;
  }

  /** SHA-256 of the handshake transcript, once keyed. */
  get transcriptHash(): Uint8Array | undefined {
    return this.keys?.transcriptHash.slice();
  }

  /**
   * Our HELLO datagram. The same bytes on every call: the engine sends it at start and re-sends
   * it on a timer until `state` is 'established'. `now` is accepted for symmetry with the other
   * entry points; HELLO carries no time.
   */
  hello(_now: number): Uint8Array {
    return this.handshake.hello.slice();
  }

  /**
   * UUID of message `messageNumber` sent ('send') or received ('receive') by this side. Both peers
   * compute the same UUID for the same message. Throws SessionError before keys exist.
   */
  messageUuid(direction: 'send' | 'receive', messageNumber: number): string {
    const keys = this.requireKeys();
    return keys.uuids.get(direction === 'send' ? keys.sendDirection : keys.receiveDirection, messageNumber);
  }

  /** Bytes of fragment data that always fit in one datagram of `maxDatagramSize`. */
  maxFragmentPayload(maxDatagramSize: number, ordered: boolean): number {
    return maxFragmentPayload(maxDatagramSize, ordered);
  }

  /**
   * Seals one fragment as a DATA datagram. `opts.sharding` sets the S flag. Throws SessionError
   * when there are no keys, the session is over, a field is out of range or the datagram would
   * exceed `maxDatagramSize`.
   */
  sealData(
    fragment: Omit<FragmentHeader, 'uuid'>,
    opts: { sharding: boolean },
    now: number,
  ): { bytes: Uint8Array; packetNumber: number } {
    const keys = this.requireSendable();
    const problem = checkFragmentFields(fragment);
    if (problem !== undefined) throw new SessionError('field_range', problem);
    const headerLength = dataHeaderLength(fragment);
    const size = headerLength + fragment.data.length + TAG_LENGTH;
    if (size > this.config.maxDatagramSize) {
      throw new SessionError('too_large', `datagram of ${size} bytes exceeds ${this.config.maxDatagramSize}`);
    }
    const packetNumber = this.takePacketNumber(keys, now);
    const out = this.datagrams.take(size);
    const header = { type: PacketType.DATA, shardingEnabled: opts.sharding, keyPhase: keys.send.keyPhase, packetNumber };
    writeSealedHeader(out, header, fragment);
    const { key, iv } = keys.send.keys;
    sealInto(this.aead, key, iv, packetNumber, out.subarray(0, headerLength), fragment.data, out.subarray(headerLength));
    this.stats.sealed++;
    return { bytes: out, packetNumber };
  }

  /** Seals control frames as one CONTROL datagram. Throws SessionError like `sealData`. */
  sealControl(frames: ControlFrame[], now: number): { bytes: Uint8Array; packetNumber: number } {
    const keys = this.requireSendable();
    return this.sealFrames(keys, frames, now);
  }

  /**
   * Takes back a datagram this session sealed, once nothing reads it any more (the channel has
   * copied it): a later datagram is written into its memory. Anything else is ignored.
   */
  recycle(datagram: Uint8Array): void {
    this.datagrams.give(datagram);
  }

  /** Datagrams sealed into memory handed back through `recycle`. */
  get datagramsReused(): number {
    return this.datagrams.reused;
  }

  /**
   * Ends the session: returns a sealed CLOSE datagram to send (undefined before keys exist) and
   * moves to 'closed'. Later seals throw, later datagrams are dropped as 'closed'.
   */
  close(code: number, reason: string, now: number): Uint8Array | undefined {
    const keys = this.keys;
    const sendable = keys !== undefined && (this.currentState === 'keyed' || this.currentState === 'established');
    const bytes = sendable ? this.sealFrames(keys, [{ type: 'close', code, reason }], now).bytes : undefined;
    this.currentState = 'closed';
    return bytes;
  }

  /** Handles one received datagram. Never throws. */
  receive(datagram: Uint8Array, now: number): SessionReceive {
    if (this.currentState === 'closed') return this.drop('closed');
    const prefix = decodePrefix(datagram);
    if (!prefix.ok) {
      if (prefix.error.code === 'unknown_version') return this.answerUnknownVersion(prefix.error, now);
      return this.drop('malformed', prefix.error);
    }
    if (this.currentState === 'failed') return this.drop('failed');
    switch (prefix.value.type) {
      case PacketType.HELLO:
        return this.onHello(datagram, now);
      case PacketType.REVEAL:
        return this.onRevealOutcome(this.handshake.onReveal(datagram), now);
      case PacketType.VERSION:
        return this.onVersion(datagram);
      default:
        return this.onSealed(datagram, prefix, now);
    }
  }

  /** A snapshot of the counters. */
  counters(): SecurityCounters {
    const s = this.stats;
    if (this.keys !== undefined) {
      s.sendEpoch = this.keys.send.keys.epoch;
      s.receiveEpoch = this.keys.receive.current.epoch;
      s.sendRekeys = this.keys.send.rekeys;
      s.receiveRekeys = this.keys.receive.rekeys;
    }
    return { ...s, dropped: { ...s.dropped } };
  }

  // ---- handshake ------------------------------------------------------------------------

  private onHello(datagram: Uint8Array, now: number): SessionReceive {
    const outcome: HelloOutcome = this.handshake.onHello(datagram);
    switch (outcome.kind) {
      case 'malformed':
        return this.drop('malformed', outcome.error);
      case 'forged':
        return this.drop('forged_handshake');
      case 'failed':
        return this.fail(outcome.reason);
      case 'accepted': {
        if (outcome.duplicate) this.stats.handshakeDuplicates++;
        // The peer's HELLO is held, so our key may now be revealed. A re-sent HELLO means the peer
        // still lacks something: answer with REVEAL and, when keyed, a fresh FINISHED.
        const reply: Uint8Array[] = [this.handshake.reveal.slice()];
        if (this.handshake.hasEarlyReveal) {
          const early = this.onRevealOutcome(this.handshake.takeEarlyReveal(), now);
          if (early.kind === 'failed') return early;
          if (early.kind === 'handshake') reply.push(...early.reply);
        } else if (outcome.duplicate && this.keys !== undefined && !this.keys.send.exhausted) {
          reply.push(this.finishedDatagram(this.keys, now));
        }
        return { kind: 'handshake', reply, keyed: this.keys !== undefined };
      }
    }
  }

  private onRevealOutcome(outcome: RevealOutcome, now: number): SessionReceive {
    switch (outcome.kind) {
      case 'malformed':
        return this.drop('malformed', outcome.error);
      case 'forged':
        return this.drop('forged_handshake');
      case 'failed':
        return this.fail(outcome.reason);
      case 'buffered':
        return { kind: 'handshake', reply: [], keyed: false };
      case 'duplicate':
        this.stats.handshakeDuplicates++;
        return { kind: 'handshake', reply: [], keyed: this.keys !== undefined };
      case 'keyed': {
        const { secrets, transcriptHash } = outcome;
        const initiator = this.role === 'initiator';
        const keys: Keys = {
          transcriptHash,
          sas: shortAuthenticationString(secrets.sas),
          fingerprint: sasFingerprint(secrets.sas),
          uuids: new MessageUuids(secrets.uuid),
          localFinished: hmac(sha256, initiator ? secrets.finishedI : secrets.finishedR, transcriptHash),
          peerFinished: hmac(sha256, initiator ? secrets.finishedR : secrets.finishedI, transcriptHash),
          sendDirection: initiator ? DIRECTION_I2R : DIRECTION_R2I,
          receiveDirection: initiator ? DIRECTION_R2I : DIRECTION_I2R,
          send: new SendKeys(epochKeys(initiator ? secrets.i2r : secrets.r2i, 0), this.config, now),
          receive: new ReceiveKeys(epochKeys(initiator ? secrets.r2i : secrets.i2r, 0), this.config.keyGraceMs),
          window: new ReplayWindow(this.config.replayWindow),
        };
        secrets.finishedI.fill(0);
        secrets.finishedR.fill(0);
        secrets.sas.fill(0);
        this.keys = keys;
        this.currentState = 'keyed';
        return { kind: 'handshake', reply: [this.finishedDatagram(keys, now)], keyed: true };
      }
    }
  }

  private onVersion(datagram: Uint8Array): SessionReceive {
    const decoded = decodeVersionPacket(datagram);
    if (!decoded.ok) return this.drop('malformed', decoded.error);
    // Unauthenticated: it may only end a handshake that has not produced keys, and only when the
    // peer really shares no version with us.
    const shared = decoded.value.supported.some((v) => SUPPORTED_VERSIONS.includes(v));
    if (this.keys !== undefined || shared) return this.drop('unexpected_version_packet');
    return this.fail('peer_refused_version');
  }

  private answerUnknownVersion(error: WireError, now: number): SessionReceive {
    this.stats.dropped.unknown_version++;
    const refused = error.version ?? 0;
    if (now - this.lastVersionReplyAt < VERSION_REPLY_INTERVAL_MS) {
      return { kind: 'dropped', reason: 'unknown_version', error };
    }
    this.lastVersionReplyAt = now;
    const answer = encodeVersionPacket({ refusedVersion: refused, supported: [...SUPPORTED_VERSIONS] });
    return { kind: 'dropped', reason: 'unknown_version', error, reply: answer.ok ? [answer.value] : [] };
  }

  private finishedDatagram(keys: Keys, now: number): Uint8Array {
    return this.sealFrames(keys, [{ type: 'finished', verifyData: keys.localFinished }], now).bytes;
  }

  // ---- sealed packets -------------------------------------------------------------------

  private onSealed(datagram: Uint8Array, prefix: DecodeResult<PacketPrefix>, now: number): SessionReceive {
    const keys = this.keys;
    if (keys === undefined) return this.drop('not_keyed');
    const parsed = decodeSealedPacket(datagram, prefix);
    if (!parsed.ok) return this.drop('malformed', parsed.error);
    const packet = parsed.value;
    const packetNumber = reconstructPacketNumber(keys.window.largest, packet.header.packetNumber);
    const verdict = keys.window.check(packetNumber);
    if (verdict !== 'fresh') return this.drop(verdict);
    const epoch = keys.receive.select(packet.header.keyPhase, packetNumber, now);
    if (epoch === undefined) return this.drop('stale_key');
    const aad = datagram.subarray(0, packet.headerLength);
    const plaintextLength = packet.body.length - TAG_LENGTH;
    const out =
      packet.header.type === PacketType.DATA && plaintextLength <= this.fragmentPlaintext.length
        ? this.plaintextOf(plaintextLength)
        : undefined;
    const plaintext = open(this.aead, epoch.key, epoch.iv, packetNumber, aad, packet.body, out);
    if (plaintext === undefined) {
      // Before key confirmation an authentication failure means the two sides derived different
      // keys: a man in the middle (with a PSK), a fingerprint mismatch, or a peer restart.
      if (this.currentState === 'keyed') return this.fail('handshake_failed');
      return this.drop('auth_failed');
    }
    keys.window.accept(packetNumber);
    keys.receive.opened(epoch, packetNumber, now);
    this.stats.opened++;
    return packet.header.type === PacketType.DATA
      ? this.onData(keys, packet, packetNumber, plaintext)
      : this.onControl(keys, packetNumber, plaintext);
  }

  private plaintextOf(length: number): Uint8Array {
    if (this.plaintextView.length !== length) this.plaintextView = this.fragmentPlaintext.subarray(0, length);
    return this.plaintextView;
  }

  private onData(keys: Keys, packet: SealedPacket, packetNumber: number, plaintext: Uint8Array): SessionReceive {
    const wire = packet.fragment as NonNullable<SealedPacket['fragment']>;
    const uuid = keys.uuids.get(keys.receiveDirection, wire.messageNumber);
    // Field by field rather than by spreading: this runs once per datagram, and object spread
    // was among the largest costs of the receive path in CPU profiles.
    const { version, shardingEnabled, keyPhase, type } = packet.header;
    const header: PacketHeader = { version, shardingEnabled, keyPhase, type, packetNumber, uuid };
    const fragment: FragmentHeader = {
      uuid,
      messageNumber: wire.messageNumber,
      sequenceNumber: wire.sequenceNumber,
      totalFragments: wire.totalFragments,
      ordered: wire.ordered,
      reliable: wire.reliable,
      data: plaintext,
    };
    if (wire.orderedSequence !== undefined) fragment.orderedSequence = wire.orderedSequence;
    if (wire.deadline !== undefined) fragment.deadline = wire.deadline;
    if (wire.ackNow === true) fragment.ackNow = true;
    if (wire.copy === true) fragment.copy = true;
    const received: SessionReceive = { kind: 'data', packetNumber, header, fragment };
    if (this.establish()) received.establishedNow = true;
    return received;
  }

  private onControl(keys: Keys, packetNumber: number, plaintext: Uint8Array): SessionReceive {
    const decoded = decodeControlFrames(plaintext);
    if (!decoded.ok) return this.drop('malformed', decoded.error);
    const frames: ControlFrame[] = [];
    let sawFinished = false;
    let sawClose = false;
    for (const frame of decoded.value) {
      if (frame.type === 'finished') {
        if (!constantTimeEqual(frame.verifyData, keys.peerFinished)) return this.fail('handshake_failed');
        sawFinished = true;
        continue;
      }
      if (frame.type === 'ack') keys.send.onAcknowledged((frame.ranges[0] as { largest: number }).largest);
      if (frame.type === 'close') sawClose = true;
      frames.push(frame);
    }
    const establishedNow = this.establish();
    if (sawClose) this.currentState = 'closed';
    if (frames.length === 0 && sawFinished) {
      return establishedNow ? { kind: 'established', sas: keys.sas } : { kind: 'handshake', reply: [], keyed: true };
    }
    const received: SessionReceive = { kind: 'control', packetNumber, frames };
    if (establishedNow) received.establishedNow = true;
    return received;
  }

  /** Any authenticated packet confirms the peer holds our keys. Returns true on the transition. */
  private establish(): true | undefined {
    if (this.currentState !== 'keyed') return undefined;
    this.currentState = 'established';
    return true;
  }

  private sealFrames(keys: Keys, frames: ControlFrame[], now: number): { bytes: Uint8Array; packetNumber: number } {
    const body = encodeControlFrames(frames);
    if (!body.ok) throw new SessionError('field_range', body.error.message);
    const size = SEALED_PREFIX_LENGTH + body.value.length + TAG_LENGTH;
    if (size > this.config.maxDatagramSize) {
      throw new SessionError('too_large', `datagram of ${size} bytes exceeds ${this.config.maxDatagramSize}`);
    }
    const packetNumber = this.takePacketNumber(keys, now);
    const out = this.datagrams.take(size);
    const header = { type: PacketType.CONTROL, shardingEnabled: false, keyPhase: keys.send.keyPhase, packetNumber };
    writeSealedHeader(out, header, undefined);
    const { key, iv } = keys.send.keys;
    sealInto(this.aead, key, iv, packetNumber, out.subarray(0, SEALED_PREFIX_LENGTH), body.value, out.subarray(SEALED_PREFIX_LENGTH));
    this.stats.sealed++;
    return { bytes: out, packetNumber };
  }

  private takePacketNumber(keys: Keys, now: number): number {
    if (keys.send.exhausted) {
      this.fail('numbers_exhausted');
      throw new SessionError('numbers_exhausted', 'packet numbers exhausted: start a new session');
    }
    return keys.send.take(now);
  }

  // ---- state ----------------------------------------------------------------------------

  private requireKeys(): Keys {
    if (this.keys === undefined) throw new SessionError('not_keyed', 'no keys yet');
    return this.keys;
  }

  private requireSendable(): Keys {
    if (this.currentState === 'closed') throw new SessionError('closed', 'session closed');
    if (this.currentState === 'failed') throw new SessionError('failed', `session failed: ${this.failureReason}`);
    return this.requireKeys();
  }

  private drop(reason: DropReason, error?: WireError): SessionReceive {
    this.stats.dropped[reason]++;
    return error === undefined ? { kind: 'dropped', reason } : { kind: 'dropped', reason, error };
  }

  private fail(reason: FailureReason): SessionReceive {
    this.currentState = 'failed';
    this.failureReason = reason;
    return { kind: 'failed', reason };
  }
}

function positive(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!(value > 0) || !Number.isFinite(value)) throw new RangeError(`${name}: a positive number`);
  return value;
}

