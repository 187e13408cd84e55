import { RTCPeerConnection, type PeerConfig, type RTCIceServer } from 'werift';
import { startLocalStunServer, type LocalStunServer } from './stun-server.js';

export interface WeriftPeerOptions extends Partial<PeerConfig> {
  /**
   * ICE servers. Leave unset to use this process's loopback STUN responder. An empty list is
   * treated the same way, because werift replaces an empty list with a public STUN server.
   */
  iceServers?: RTCIceServer[];
}

let sharedStun: Promise<LocalStunServer> | undefined;

/** The process-wide loopback STUN responder, started on first use. */
export function localStun(): Promise<LocalStunServer> {
  sharedStun ??= startLocalStunServer();
  return sharedStun;
}

/**
 * The one way this project creates werift peers. It never lets werift fall back to its built-in
 * public STUN server, and it fixes werift's `maxRetransmits: 0` handling (patchWeriftAbandon).
 */
export async function createWeriftPeer(options: WeriftPeerOptions = {}): Promise<RTCPeerConnection> {
  const iceServers = options.iceServers?.length ? options.iceServers : [{ urls: (await localStun()).url }];
  const pc = new RTCPeerConnection({ ...options, iceServers });
  patchWeriftAbandon(pc);
  return pc;
}

/** SCTP DATA flags B (first fragment, 2) and E (last fragment, 1): both set on a one-chunk message. */
const SCTP_WHOLE_MESSAGE = 3;

interface SctpChunkLike {
  maxRetransmits?: number;
  abandoned?: boolean;
  retransmit?: boolean;
  flags?: number;
  sentCount?: number;
  tsn?: number;
  userData?: Uint8Array;
}
interface SctpAssociationLike {
  maybeAbandon(chunk: SctpChunkLike): boolean;
  sendChunk(chunk: SctpChunkLike): Promise<void>;
  cwnd: number;
  flightSize: number;
  srtt?: number;
  rto: number;
}
interface PatchedPrototype {
  /** werift's own check, kept so a test can tell when upstream has fixed it. */
  __pduOriginalMaybeAbandon?: SctpAssociationLike['maybeAbandon'];
}

/** The SCTP association under a werift peer's data channels (created with the first channel). */
export function weriftAssociation(pc: RTCPeerConnection): SctpAssociationLike | undefined {
  return (pc as unknown as { sctpTransport?: { sctp?: SctpAssociationLike } }).sctpTransport?.sctp;
}

/**
 * werift 0.24 tests `!!chunk.maxRetransmits`, so a channel created with `maxRetransmits: 0`
 * retransmits forever: it is reliable. This wraps the association's abandon check so that 0
 * means "send once", as the WebRTC spec says. The patch reaches the prototype through the
 * first association it sees, which exists once a data channel has been created.
 * tests/node/werift-abandon.test.ts fails once werift fixes this itself, so the patch can go.
 */
export function patchWeriftAbandon(pc: RTCPeerConnection): void {
  const apply = (): boolean => {
    const association = weriftAssociation(pc);
    if (!association) return false;
    const proto = Object.getPrototypeOf(association) as SctpAssociationLike & PatchedPrototype;
    if (proto.__pduOriginalMaybeAbandon) return true;
    const original = proto.maybeAbandon;
    proto.maybeAbandon = function (this: SctpAssociationLike, chunk: SctpChunkLike): boolean {
      if (chunk.maxRetransmits !== 0 || chunk.abandoned) return original.call(this, chunk);
      // A whole message in one chunk (PDU's datagrams always are): abandon exactly this chunk.
      // werift's own loop would look the message up by chunk type, which finds the head of the
      // sent queue rather than this chunk.
      if (((chunk.flags ?? 0) & SCTP_WHOLE_MESSAGE) === SCTP_WHOLE_MESSAGE) {
        chunk.abandoned = true;
        chunk.retransmit = false;
        return true;
      }
      // A fragmented message: -1 < sentCount always holds, so werift abandons it as it would for
      // a truthy maxRetransmits that has run out.
      chunk.maxRetransmits = -1;
      return original.call(this, chunk);
    };
    proto.__pduOriginalMaybeAbandon = original;
    return true;
  };
  if (apply()) return;
  // Until the first data channel exists there is no association; patch as soon as there is.
  const create = pc.createDataChannel.bind(pc);
  pc.createDataChannel = ((...args: Parameters<typeof create>) => {
    const channel = create(...args);
    apply();
    return channel;
  }) as typeof pc.createDataChannel;
  pc.onDataChannel.subscribe(() => apply());
}

/** werift's unpatched abandon check, once a patched association has been seen. */
export function originalWeriftAbandon(pc: RTCPeerConnection): SctpAssociationLike['maybeAbandon'] | undefined {
  const association = weriftAssociation(pc);
  return association && (Object.getPrototypeOf(association) as PatchedPrototype).__pduOriginalMaybeAbandon;
}

/** Counts of SCTP DATA chunks a werift association sent: the proof that SCTP did not retransmit. */
export interface SctpSendCounters {
  dataChunks: number;
  retransmittedChunks: number;
}

/**
 * Wraps a werift association's chunk sender to count DATA chunks and those sent again (same TSN).
 * Call after the association exists (after the first data channel is created).
 */
export function countSctpSends(pc: RTCPeerConnection): SctpSendCounters {
  const association = weriftAssociation(pc);
  if (!association) throw new Error('countSctpSends: no SCTP association yet (create a data channel first)');
  const counters: SctpSendCounters = { dataChunks: 0, retransmittedChunks: 0 };
  const seen = new Set<number>();
  const send = association.sendChunk.bind(association);
  association.sendChunk = (chunk: SctpChunkLike) => {
    if (chunk.tsn !== undefined && chunk.userData !== undefined) {
      counters.dataChunks++;
      if (seen.has(chunk.tsn)) counters.retransmittedChunks++;
      else seen.add(chunk.tsn);
    }
    return send(chunk);
  };
  return counters;
}

/**
 * Connects two werift peers in this process by exchanging complete (non-trickle) descriptions,
 * then waits until both report `connected`.
 */
export async function connectWeriftPeers(offerer: RTCPeerConnection, answerer: RTCPeerConnection): Promise<void> {
  const connected = (pc: RTCPeerConnection) =>
    new Promise<void>((resolve, reject) => {
      const check = () => {
        if (pc.connectionState === 'connected') resolve();
        if (pc.connectionState === 'failed') reject(new Error('werift peer connection failed'));
      };
      pc.connectionStateChange.subscribe(check);
      check();
    });
  await offerer.setLocalDescription(await offerer.createOffer());
  await answerer.setRemoteDescription(offerer.localDescription!);
  await answerer.setLocalDescription(await answerer.createAnswer());
  await offerer.setRemoteDescription(answerer.localDescription!);
  await Promise.all([connected(offerer), connected(answerer)]);
}

/** How long a peer's SCTP may delay a SACK (werift's and dcsctp's delayed SACK), seconds. */
const PEER_SACK_DELAY_S = 0.2;
/** werift's SCTP_RTO_MAX, seconds. */
const WERIFT_RTO_MAX_S = 60;

interface RtoState {
  rto: number;
  srtt?: number;
  rttvar?: number;
  updateRto(r: number): void;
  __pduRto?: true;
}

/**
 * werift floors its retransmission timeout at RFC 4960's 1 s. Under PDU its SCTP never
 * retransmits, so the timer only gives up a chunk lost at the tail of a flight; until then that
 * chunk counts against werift's window, and after an earlier timeout the window is one chunk, so
 * nothing else leaves for the whole second (one connection at 5-10% loss: p99 1.3-3.8 s,
 * BENCHMARKS.md "One connection: werift's retransmission timer"). The floor is there to outlast
 * the peer's delayed SACK; this association's timeout becomes srtt + 4 rttvar plus that delay
 * (about 0.3 s at a 50 ms round trip). Only the association under `pc` changes, and only once it
 * exists: call again after the first data channel is created.
 */
export function patchWeriftRto(pc: RTCPeerConnection): void {
  const association = weriftAssociation(pc) as unknown as RtoState | undefined;
  if (association === undefined || association.__pduRto) return;
  const original = (Object.getPrototypeOf(association) as RtoState).updateRto;
  association.__pduRto = true;
  association.updateRto = function (this: RtoState, r: number): void {
    original.call(this, r);
    this.rto = Math.min(WERIFT_RTO_MAX_S, this.srtt! + 4 * this.rttvar! + PEER_SACK_DELAY_S);
  };
}
