// Messages between the host (the thread the application runs on) and a PDU worker. Byte arrays
// are transferred, never copied, and each side batches what one task produced into one message
// per session.
import type { CongestionSample } from '../src/congestion/congestion-report.js';
import type { EngineStats, PduEngineOptions, PduEvent, SendOptions } from '../src/engine/index.js';
import type { LaneLoad } from '../src/transport/datachannel.js';
import type { ImpairmentConfig } from '../src/transport/impaired-channel.js';

/** How the driver uses the channel, beside the engine's own config. */
export interface SessionTransportOptions {
  /** Largest bundle of datagrams per channel message, bytes (0: one datagram per message). */
  bundleBytes?: number;
}

/** In an `output` batch's `lanes`: this datagram has no lane, the host's channel picks one. */
export const NO_LANE = -1;

/** Which core the worker gives the engine: its WebAssembly core (the default) or the TypeScript reference. */
export type CoreChoice = 'wasm' | 'reference';

export type HostToWorker =
  | { type: 'core-info'; id: number }
  | { type: 'core-selftest'; id: number; dst: Uint8Array; src: Uint8Array }
  /**
   * Moves an RTCDataChannel into the worker (posted in the task that created the channel: the
   * only time Chromium allows it). The worker answers `channel-open` when it opens. With
   * `stripe`, the channel is that stripe (0, 1, ...) of a striped channel, and the worker waits
   * for `stripes-attached`.
   */
  | { type: 'attach-channel'; session: number; channel: unknown; highWaterBytes: number; stripe?: number }
  /**
   * Every stripe is attached: the worker joins them into one striped channel and answers
   * `channel-open` once all are open.
   */
  | { type: 'stripes-attached'; session: number; count: number }
  /**
   * Starts the session's engine: over the attached channel if there is one, else over datagrams
   * the host relays (`datagrams`, `channel-state`).
   */
  | { type: 'open'; session: number; options: PduEngineOptions; highWaterBytes: number; core: CoreChoice; transport?: SessionTransportOptions }
  | { type: 'send'; session: number; ticket: number; data: Uint8Array; opts: SendOptions | undefined }
  | { type: 'datagrams'; session: number; datagrams: Uint8Array[] }
  /** The relayed channel's state; `lanes` where it has FIFO lanes (DatagramChannel.laneLoads). */
  | { type: 'channel-state'; session: number; open: boolean; queuedBytes: number; highWaterBytes: number; lanes?: LaneLoad[] }
  | { type: 'sample'; session: number; sample: CongestionSample }
  | { type: 'stats'; session: number; ticket: number }
  | { type: 'trace'; session: number; ticket: number }
  /** Impairs the session's outgoing datagrams from now on (null: off); a testing and demo tool. */
  | { type: 'impair'; session: number; config: ImpairmentConfig | null }
  | { type: 'close'; session: number }
  /**
   * The host is done with the session (closed, failed or abandoned): stop its driver and timers
   * and let go of its channel.
   */
  | { type: 'dispose'; session: number };

export type SendReply = { ticket: number; id: string } | { ticket: number; error: { code: string; message: string } };

export type WorkerToHost =
  | { type: 'core-info'; id: number; kind: 'wasm' | 'reference'; fallbackReason: string | undefined }
  | { type: 'core-selftest'; id: number; result: Uint8Array }
  /** Everything one task produced for one session. */
  | {
      type: 'output';
      session: number;
      events: PduEvent[];
      datagrams: Uint8Array[];
      /** With relayed datagrams picked for lanes: the lane of each (NO_LANE: the host picks). */
      lanes?: number[];
      sendReplies: SendReply[];
      statsReplies: Array<{ ticket: number; stats: EngineStats }>;
      traceReplies: Array<{ ticket: number; jsonl: string }>;
    }
  | { type: 'channel-open'; session: number }
  | { type: 'session-error'; session: number; message: string };

/** The two ends of a thread boundary: a browser Worker / worker scope, or a worker_threads port. */
export interface MessagePortLike<In, Out> {
  post(message: Out, transfer: ArrayBuffer[]): void;
  onMessage(handler: (message: In) => void): void;
}
