import type { CongestionReport } from '../congestion/congestion-report.js';
import type { AckReason } from '../recovery/ack-tracker.js';
import type { LossCause } from '../recovery/sent-packet-tracker.js';

/** Why a message stopped being pursued without delivery. */
export type ExpiryReason = 'deadline' | 'cancelled-by-peer' | 'closed';

/** What the engine tells the application. `id` is always the message UUID `send` returned. */
export type PduEvent =
  /** The handshake finished and both sides hold the same keys; compare `sas` out of band. */
  | { type: 'connected'; sas: string }
  /** A whole message arrived. */
  | { type: 'message'; id: string; data: Uint8Array; ordered: boolean }
  /** The peer has every fragment of a message we sent. */
  | { type: 'delivered'; id: string }
  /**
   * A message was given up. `outgoing`: by us; its deadline passed (and, if every fragment had
   * left, the peer answered our CANCEL that it did not have the whole message), it was given
   * up because it could not arrive in time, a `reliable: false` fragment was lost, or the channel
   * closed. The peer does not deliver such a message (PROTOCOL.md 6.5 has the one exception).
   * `incoming`: a message the peer cancelled while we held part of it (`cancelled-by-peer`), or
   * one that missed its deadline here (`deadline`), possibly before any of it arrived.
   */
  | { type: 'expired'; id: string; direction: 'outgoing' | 'incoming'; reason: ExpiryReason }
  | { type: 'congestion'; report: CongestionReport }
  /** The sharding policy changed regime (visible so applications and traces can follow it). */
  | { type: 'sharding'; sharded: boolean; fragmentSize: number; severity: number }
  | { type: 'error'; code: string; message: string }
  | { type: 'closed'; reason: string };

export type EngineState = 'idle' | 'handshaking' | 'keyed' | 'established' | 'closed' | 'failed';

export interface RetransmissionStats {
  /** Fragments resent because the receiver asked (NACK) before the sender's timers. */
  predictive: number;
  /** Fragments resent on the sender's own loss detection: ACK thresholds and probe timeouts. */
  timeout: number;
  /**
   * Of `timeout`: by the packet/time thresholds on ACK; by a later packet acknowledged on the
   * same FIFO lane (`recovery.laneLossDetection`); by the tail probe (the last datagram of a
   * flight unacknowledged a round trip after it left); and by PTO.
   */
  threshold: number;
  lane: number;
  tail: number;
  pto: number;
  /**
   * Also of `timeout`, though no loss: fragments sent again on another lane while their datagram
   * waited behind its own lane's transport window (PduEngine.reportLaneBacklog).
   */
  held: number;
  /** Resent fragments whose original was acknowledged after all. */
  spurious: number;
  /** Of `spurious`, by what had declared the original lost. */
  spuriousBy: Record<LossCause, number>;
}

export interface EngineStats {
  state: EngineState;
  /** Which core runs the byte work (the cipher): WebAssembly or the TypeScript reference. */
  core: 'wasm' | 'reference';
  role: 'initiator' | 'responder';
  now: number;
  recovery: {
    /** Configured predictor, the one in use, and why they differ. */
    predictorRequested: string;
    predictor: string;
    predictorFallback?: string;
    retransmissions: RetransmissionStats;
    /** NACKed packet numbers we sent / received, and received NACKs we ignored (too fresh, unknown, already handled). */
    nacksSent: number;
    /** ACK frames we sent, by what made each due (`asked`: the peer's A flag; `alongside`: rode with another frame). */
    acksSent: Record<AckReason, number>;
    nacksReceived: number;
    nacksIgnored: number;
    /** Receiver: duplicate fragments (a retransmission whose original also arrived). */
    duplicateFragments: number;
    /** ACK frames ignored because they acknowledged packets never sent. */
    invalidAcks: number;
    ptoCount: number;
    /** Packet threshold of loss detection in force: the configured one, raised on a reordering path. */
    packetThreshold: number;
    /** Lanes withdrawn from the lane rule, having been seen to reorder. */
    untrustedLanes: number;
  };
  rtt: { srtt: number; rttvar: number; minRtt: number; latest: number; jitter: number; samples: number };
  congestion: {
    controller: string;
    mode: string;
    cwndBytes: number;
    pacingRate: number;
    bytesInFlight: number;
    report: CongestionReport;
  };
  sharding: {
    messagesSharded: number;
    messagesStandard: number;
    /** Messages whose retransmissions go out twice (`recovery.duplicateRetransmissions`). */
    messagesDuplicatingResends: number;
    lastFragmentSize: number;
    lastSharded: boolean;
  };
  traffic: {
    datagramsSent: number;
    datagramsReceived: number;
    wireBytesSent: number;
    wireBytesReceived: number;
    /** Application bytes in first transmissions, and in retransmissions. */
    payloadBytesSent: number;
    payloadBytesResent: number;
    dataPacketsSent: number;
    controlPacketsSent: number;
    /** Datagrams written into memory the host handed back (`recycleDatagram`). */
    datagramsReused: number;
  };
  messages: {
    sent: number;
    delivered: number;
    expired: number;
    /** Of `expired`: shed before their first fragment left, because the link could not carry them in time. */
    shed: number;
    received: number;
    cancelledByPeer: number;
    /** Receiver: messages dropped because they could not complete before the sender's deadline. */
    missedDeadline: number;
    /** Receiver: ordered sequences skipped because their messages were cancelled. */
    orderedSkipped: number;
  };
  memory: {
    sendBufferBytes: number;
    sendMessages: number;
    retransmitBytes: number;
    reassemblyBytes: number;
    messagesInProgress: number;
    /** Complete ordered messages waiting for an earlier one. */
    orderedWaiting: number;
    trackedHoles: number;
  };
  dropped: {
    /** By the session (malformed, auth failures, replays...), by reason. */
    session: Record<string, number>;
    /** Fragments over a receive cap (not acknowledged, so the sender retries). */
    refusedFragments: number;
    /** Fragments contradicting their message's earlier fragments. */
    invalidFragments: number;
    /** Answers to the peer's CANCELs beyond the pending cap (the peer asks again). */
    cancelAnswers: number;
    /** Exceptions caught while handling peer input (should stay 0). */
    internalErrors: number;
  };
}
