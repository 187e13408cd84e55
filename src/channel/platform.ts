import type { DatagramChannel, StatsSource } from '../transport/datachannel.js';

/** A channel that may move into a worker: the raw channel, and how to use it here instead. */
export interface TransferableChannel {
  raw: unknown;
  getStats: StatsSource;
  /** Adapts the raw channel on this thread (when the move is refused). */
  adaptHere(): DatagramChannel;
}

/**
 * A reliable, ordered text channel beside PDU's, pre-negotiated the same way: the in-band
 * signaling of the extra peer connections of a striped channel (stripe-negotiation.ts).
 */
export interface ControlChannel {
  whenOpen(): Promise<void>;
  /** Sends when open; otherwise drops the text (a candidate gathered after the setup ended). */
  send(text: string): void;
  /** Texts that arrived before the handler was set are handed to it at once (at most 256). */
  onMessage(handler: (text: string) => void): void;
  close(): void;
}

/** Opens PDU's pre-negotiated data channel on a peer connection of one particular stack. */
export interface PeerChannelFactory {
  /** True when this factory knows how to handle `pc`. */
  accepts(pc: unknown): boolean;
  open(pc: unknown, init: { label: string; id: number; highWaterBytes?: number }): DatagramChannel;
  /**
   * Creates the channel so that it can be transferred to a worker in this same task (Chromium
   * allows the move only then); absent where the stack's channels cannot move.
   */
  openTransferable?(pc: unknown, init: { label: string; id: number; highWaterBytes?: number }): TransferableChannel;
  /**
   * A new peer connection of the same stack configured like `pc` (ICE servers included): the
   * extra stripes when the caller gives only a count. Optional: without it `stripes` needs a
   * `createPeer`.
   */
  peerLike?(pc: unknown): unknown;
  /**
   * Opens a pre-negotiated reliable, ordered text channel (ControlChannel). Optional: a stack
   * without it cannot stripe in band (`stripes`), only over connections the caller negotiated.
   */
  openControl?(pc: unknown, init: { label: string; id: number }): ControlChannel;
  /** 'initiator' when this side made the SDP offer (CONTRACTS.md), once negotiation is done. */
  roleOf(pc: unknown): 'initiator' | 'responder' | undefined;
  /**
   * The largest datagram this stack sends as one SCTP DATA chunk, alone in its packet: PDU's
   * default `maxDatagramSize` on its channels. Absent: the engine's default (1150 bytes, which
   * fits a browser's chunk with room for the acknowledgements it bundles in front).
   */
  datagramSize?: number;
}

const factories: PeerChannelFactory[] = [];

/** Platform entries (browser, Node) register the stacks they support, most specific first. */
export function registerPeerChannelFactory(factory: PeerChannelFactory): void {
  factories.unshift(factory);
}

export function peerChannelFactoryFor(pc: unknown): PeerChannelFactory | undefined {
  return factories.find((f) => f.accepts(pc));
}
