import { negotiate, type NegotiablePeer } from '../signaling/negotiate.js';
import { parseBoundedJson, signalFrom, type PeerSignal, type Role, type SignalingChannel } from '../signaling/protocol.js';
import { SignalHub } from '../signaling/signal-hub.js';
import { PduChannelError } from './errors.js';
import type { ControlChannel } from './platform.js';

/** `PduChannelOptions.stripes`: PDU opens and negotiates the extra peer connections itself. */
export interface StripeOptions {
  /**
   * Peer connections in all, the one given to `open` included (1..MAX_STRIPES). Both sides say
   * how many they want; the smaller count is used.
   */
  count: number;
  /**
   * Makes one extra peer connection to the same peer. PDU negotiates it in band, over a control
   * channel on the first connection, and closes it with the channel. Default: one of the first
   * connection's class with its configuration (`getConfiguration()`; werift: its `config`).
   */
  createPeer?: () => unknown;
}

/** Most peer connections one striped channel negotiates (each costs an ICE, DTLS and SCTP setup). */
export const MAX_STRIPES = 16;

/** Signals the peer may send per extra stripe: an offer or answer, a bye and its ICE candidates. */
const MAX_SIGNALS_PER_STRIPE = 32;

/** Longest control message, characters: a data-only SDP is a few KiB, a candidate a few hundred bytes. */
export const MAX_CONTROL_MESSAGE_CHARS = 16 * 1024;

/** The control channel's messages (docs/PROTOCOL.md, "Striping setup"). */
type ControlMessage = { type: 'stripes'; count: number } | (PeerSignal & { stripe: number });

export interface NegotiatedStripes {
  /** The extra peer connections, negotiated, in stripe order (stripe 1 first). */
  peers: unknown[];
  /** Control messages from the peer that were malformed, out of range or over the bound, dropped. */
  dropped: number;
  /**
   * Stops listening and frees what the peer sent. Call it once the session over every stripe is
   * open: until then late ICE candidates may still be needed.
   */
  release(): void;
}

/**
 * The in-band setup of a striped channel, run by both sides once the first peer connection's
 * control channel is open: each side says how many stripes it wants, then the initiator (the side
 * that offered the first connection) offers each extra connection and both trickle candidates,
 * every signal tagged with its stripe. `openOn` creates PDU's channel on a new peer connection,
 * which must happen before its offer. On failure the extra connections are closed and the peer is
 * told (a `bye` per stripe), so that its side fails at once rather than at its timeout.
 */
export async function negotiateStripes(
  control: ControlChannel,
  role: () => Role | undefined,
  options: Required<StripeOptions>,
  openOn: (pc: unknown) => void,
  timeoutMs: number,
): Promise<NegotiatedStripes> {
  // One hub per extra stripe, made on its first signal or when its negotiation starts, whichever
  // comes first: the initiator's offers may arrive while this side still makes its peers.
  const hubs: SignalHub[] = [];
  const hubFor = (stripe: number) => (hubs[stripe] ??= new SignalHub());
  const received: number[] = [];
  let released = false;
  const result: NegotiatedStripes = {
    peers: [],
    dropped: 0,
    release() {
      released = true;
      for (const hub of hubs) hub?.clear();
    },
  };
  // Set as the peer's count arrives, in the same task: a signal that follows it in the same batch
  // is judged against it.
  let agreed: number | undefined;
  let answerCount!: (count: number) => void;
  const agreement = new Promise<number>((resolve) => (answerCount = resolve));

  control.onMessage((text) => {
    if (released) return;
    const message = parseControlMessage(text);
    if (!message) {
      result.dropped++;
    } else if (message.type === 'stripes') {
      if (agreed !== undefined) {
        result.dropped++;
        return;
      }
      agreed = Math.min(options.count, message.count);
      answerCount(agreed);
    } else if (agreed === undefined || message.stripe >= agreed || (received[message.stripe] ?? 0) >= MAX_SIGNALS_PER_STRIPE) {
      // Signals follow the count on an ordered channel, and only for stripes both sides want.
      result.dropped++;
    } else {
      received[message.stripe] = (received[message.stripe] ?? 0) + 1;
      const { stripe, ...signal } = message;
      hubFor(stripe).deliver(signal as PeerSignal);
    }
  });

  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new PduChannelError('handshake-failed', `stripe setup did not finish within ${timeoutMs} ms (both sides must open with stripes)`)),
      timeoutMs,
    );
  });
  try {
    await Promise.race([control.whenOpen(), timeout]);
    control.send(JSON.stringify({ type: 'stripes', count: options.count }));
    const side = role();
    if (!side) throw new PduChannelError('invalid-argument', 'PduChannel.open: role unknown (no local description); pass options.role');
    const count = await Promise.race([agreement, timeout]);
    for (let stripe = 1; stripe < count; stripe++) hubFor(stripe).becomeReady(side);
    for (let stripe = 1; stripe < count; stripe++) {
      const making = Promise.resolve(options.createPeer());
      // A peer connection that comes after the setup gave up (and released) is closed when it comes.
      making.then((pc) => released && !result.peers.includes(pc) && closePeers([pc]), () => undefined);
      const pc = await Promise.race([making, timeout]);
      result.peers.push(pc);
      openOn(pc);
    }
    await Promise.race([
      Promise.all(result.peers.map((pc, i) => negotiate(pc as NegotiablePeer, stripeSignaling(control, hubs[i + 1]!, i + 1), { timeoutMs }))),
      timeout,
    ]);
    return result;
  } catch (err) {
    for (let stripe = 1; stripe < (agreed ?? 0); stripe++) {
      control.send(JSON.stringify({ type: 'bye', stripe }));
      // Ends this side's own negotiation of that stripe too, and with it its timer.
      hubs[stripe]?.deliver({ type: 'bye' });
    }
    result.release();
    closePeers(result.peers);
    throw err;
  } finally {
    clearTimeout(timer);
  }
}

/** Closes peer connections PDU made (browsers' and werift's both have `close`). */
export function closePeers(peers: readonly unknown[]): void {
  for (const pc of peers) {
    try {
      void Promise.resolve((pc as { close(): unknown }).close()).catch(() => undefined);
    } catch {
      // Already closed or never usable: nothing left to release.
    }
  }
}

/** One extra stripe's signaling, carried over the control channel with its stripe number. */
function stripeSignaling(control: ControlChannel, hub: SignalHub, stripe: number): SignalingChannel {
  return {
    ready: hub.ready,
    send: (signal) => control.send(JSON.stringify({ ...signal, stripe })),
    onSignal: (handler) => hub.subscribe(handler),
    close: () => undefined,
  };
}

function parseControlMessage(text: string): ControlMessage | undefined {
  if (text.length > MAX_CONTROL_MESSAGE_CHARS) return undefined;
  const value = parseBoundedJson(text);
  if (typeof value !== 'object' || value === null) return undefined;
  const { type, count, stripe } = value as { type?: unknown; count?: unknown; stripe?: unknown };
  if (type === 'stripes') {
    return Number.isInteger(count) && (count as number) >= 1 && (count as number) <= MAX_STRIPES ? { type, count: count as number } : undefined;
  }
  if (!Number.isInteger(stripe) || (stripe as number) < 1 || (stripe as number) >= MAX_STRIPES) return undefined;
  const signal = signalFrom(value);
  if (signal?.type !== 'description' && signal?.type !== 'candidate' && signal?.type !== 'bye') return undefined;
  return { ...signal, stripe: stripe as number };
}
