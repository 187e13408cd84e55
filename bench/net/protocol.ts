/**
 * bench:net's agents (one peer per namespace) and the orchestrator talk in JSON lines: requests
 * `{id, cmd, ...}` on the agent's stdin, answers `{id, ok, result}` or `{id, ok: false, error}` on
 * its stdout. The same commands reach a werift peer (Node) and a Chromium page (relayed by the
 * Chromium agent), so both run one implementation (peer-core.ts).
 */
import type { RetransmissionStats } from '../../src/engine/index.js';

/** PDU's ACK schedule overrides a run may set (the engine's `ack` config). */
export interface AckOverrides {
  ackEveryPackets?: number;
  outOfOrderAckDelayRtt?: number;
  askedAckDelayRtt?: number;
}

export const TRANSPORTS = ['pdu-heuristic', 'pdu-timeout', 'pdu-model', 'dc-reliable-ordered', 'dc-reliable-unordered', 'dc-mr1', 'dc-mr0'] as const;
export type Transport = (typeof TRANSPORTS)[number];
export const isPdu = (t: Transport): t is 'pdu-heuristic' | 'pdu-timeout' | 'pdu-model' => t.startsWith('pdu-');

export type AgentCommand =
  /** Starts the project's signaling server on `host` (the agent in namespace a does). */
  | { cmd: 'serveSignaling'; host: string }
  /** A fresh peer connection with one channel of `transport`, negotiated through the server. */
  | {
      cmd: 'connect';
      url: string;
      room: string;
      transport: Transport;
      highWaterBytes?: number;
      traceEvents?: number;
      maxDatagramSize?: number;
      /**
       * PDU only: stripe PDU's datagrams over this many peer connections (each its own SCTP
       * association), negotiated in rooms `room`, `room-s2`, ... (StripedChannel).
       */
      stripes?: number;
      /** PDU only: recovery.packetThreshold (RFC 9002 kPacketThreshold; the engine's default is 3). */
      packetThreshold?: number;
      /** PDU only: recovery.duplicateRetransmissions. */
      duplicateRetransmissions?: boolean | 'auto';
      /** PDU only: recovery.laneLossDetection (the engine's default is on). */
      laneLossDetection?: boolean;
      /** PDU only: ACK schedule overrides (the engine's `ack` config). */
      ack?: AckOverrides;
    }
  /** Sends `count` messages of `size` bytes, one every `intervalMs`; returns when the last one is handed over. */
  | { cmd: 'send'; count: number; size: number; intervalMs: number; deadlineMs?: number; sampleMs?: number }
  /**
   * Capacity probe (plain channels): sends `size`-byte messages for `durationMs` as fast as the
   * channel drains, keeping at most `maxQueueBytes` queued, as a careful application would.
   */
  | { cmd: 'saturate'; size: number; durationMs: number; maxQueueBytes: number }
  /** The sender's view once its sends have settled (or `waitMs` passed). */
  | { cmd: 'senderReport'; waitMs: number }
  /** What has arrived so far; `latencies` only when asked (they are long). */
  | { cmd: 'received'; latencies?: boolean }
  /** PDU only: the engine's trace as JSON Lines (connect with `traceEvents` > 0). */
  | { cmd: 'trace' }
  | { cmd: 'close' };

export interface ConnectResult {
  role: 'initiator' | 'responder';
  connectMs: number;
  /** The channel's settings as the stack reports them: the plain channel, or the one PDU created. */
  channel?: { ordered: boolean; maxRetransmits: number | null };
}

export interface SendResult {
  sent: number;
  /** Host clock (performance.timeOrigin + performance.now()), ms. */
  firstSendAt: number;
  lastSendAt: number;
  /** Sends the schedule made late by more than one interval (a busy sender). */
  lateSends: number;
}

/** One look at the sender while it sends (every `sampleMs`). */
export interface SenderSample {
  t: number;
  /** Bytes waiting below the application: the channel's queue (dc) or PDU's report (pdu). */
  channelQueueBytes: number;
  /** PDU only. */
  sendBufferBytes?: number;
  severity?: number;
  bandwidthBps?: number;
  latencyMs?: number;
  packetLoss?: number;
  fragmentSize?: number;
  sharded?: boolean;
  messagesSharded?: number;
  pacingBps?: number;
  cwndBytes?: number;
  bytesInFlight?: number;
  retxPredictive?: number;
  retxTimeout?: number;
  delivered?: number;
}

export interface SenderReport {
  /** PDU: sends that resolved (delivered), rejected by code, and still pending. dc: all `pending` 0. */
  delivered: number;
  rejected: Record<string, number>;
  pending: number;
  /** Sequence numbers whose send rejected as expired (to find any the receiver got anyway). */
  expiredSeqs: number[];
  maxChannelQueueBytes: number;
  samples: SenderSample[];
  /** PDU's EngineStats at the end (plain JSON). */
  stats?: PduStatsSummary;
  /** werift only: SCTP DATA chunks the sender's association sent, and how many again. */
  sctp?: { dataChunks: number; retransmittedChunks: number };
  /** PDU over several peer connections (`stripes` > 1): SCTP DATA chunks each connection sent. */
  stripeChunks?: number[];
}

export interface PduStatsSummary {
  predictor: string;
  predictorFallback?: string;
  retransmissions: RetransmissionStats;
  /** Lanes the sender withdrew from lane loss detection (seen to reorder). */
  untrustedLanes: number;
  nacksReceived: number;
  messages: { sent: number; delivered: number; expired: number };
  traffic: { wireBytesSent: number; payloadBytesSent: number; payloadBytesResent: number; datagramsSent: number };
  report: { latency: number; jitter: number; packetLoss: number; bandwidth: number; queueBytes: number; severity: number };
  sharding: { messagesSharded: number; messagesStandard: number; messagesDuplicatingResends: number; lastFragmentSize: number; lastSharded: boolean };
  srttMs: number;
  minRttMs: number;
}

export interface ReceivedReport {
  count: number;
  bytes: number;
  duplicates: number;
  /** Messages whose length or header did not match what was sent. */
  malformed: number;
  firstArrivalAt: number;
  lastArrivalAt: number;
  /** Pairs [seq, latency ms], in arrival order. */
  latencies?: Array<[number, number]>;
  /** Arrivals out of send order (a later seq arrived before an earlier one). */
  outOfOrder: number;
  /** PDU: complete messages the receiver holds for an earlier ordered one (not lost, not yet delivered). */
  heldForOrder: number;
  /** PDU: control datagrams (ACK, NACK, probe) the receiver sent; null for plain channels. */
  controlPacketsSent: number | null;
  /** PDU: the receiver's ACK frames by what made each due (EngineStats.recovery.acksSent). */
  acksSent: Record<string, number> | null;
}

export type AgentRequest = AgentCommand & { id: number };
export type AgentResponse = { id: number; ok: true; result: unknown } | { id: number; ok: false; error: string };
/** Lines an agent prints on its own: `{"ready": true}` once it takes commands, `{"log": ...}`. */
export type AgentNotice = { ready: true; stack: string } | { log: string };

/** Message layout: sequence number (u32), send time on the host clock (f64, ms), filler. */
export const HEADER_BYTES = 12;
