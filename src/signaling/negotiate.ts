import { SignalingError, type Role, type SignalingChannel } from './protocol.js';

/**
 * The RTCPeerConnection surface negotiation needs; browsers' RTCPeerConnection and werift's both
 * fit (werift wants the description passed to setLocalDescription, so it always is).
 */
export interface NegotiablePeer {
  createOffer(): Promise<{ type: string; sdp?: string }>;
  createAnswer(): Promise<{ type: string; sdp?: string }>;
  setLocalDescription(description: never): Promise<unknown>;
  setRemoteDescription(description: never): Promise<unknown>;
  addIceCandidate(candidate: never): Promise<unknown>;
  readonly localDescription: { type: string; sdp: string } | null | undefined;
  readonly remoteDescription: unknown;
  onicecandidate: ((event: { candidate: { toJSON(): unknown } | null | undefined }) => void) | null;
}

/**
 * Offers (initiator) or answers (responder) over `signaling`, trickling ICE candidates both ways.
 * Remote candidates that arrive before the remote description are queued: werift sends its
 * candidates before its answer. Resolves with this side's role once both descriptions are set.
 */
export async function negotiate(pc: NegotiablePeer, signaling: SignalingChannel, options: { timeoutMs?: number } = {}): Promise<Role> {
  const role = await signaling.ready;
  const pending: unknown[] = [];
  let remoteSet = false;
  let settle!: (err?: Error) => void;
  const done = new Promise<void>((resolve, reject) => {
    settle = (err) => (err ? reject(err) : resolve());
  });
  // A bye or the timeout can settle it while the offer is still being made (werift gathers
  // candidates there): awaited below, but a rejection must not count as unhandled meanwhile.
  done.catch(() => undefined);
  const timer = setTimeout(
    () => settle(new SignalingError('timeout', 'no answer from the other peer in time')),
    options.timeoutMs ?? 20_000,
  );

  pc.onicecandidate = (event) => {
    const json = event.candidate?.toJSON() as { candidate?: string } | undefined;
    if (json?.candidate) signaling.send({ type: 'candidate', candidate: json as { candidate: string } });
  };

  const setRemote = async (description: { type: 'offer' | 'answer'; sdp: string }) => {
    await pc.setRemoteDescription(description as never);
    remoteSet = true;
    for (const candidate of pending.splice(0)) await pc.addIceCandidate(candidate as never);
  };

  const unsubscribe = signaling.onSignal((signal) => {
    void (async () => {
      if (signal.type === 'description') {
        if (role === 'responder' && signal.description.type === 'offer') {
          await setRemote(signal.description);
          await pc.setLocalDescription((await pc.createAnswer()) as never);
          const local = pc.localDescription;
          if (local) signaling.send({ type: 'description', description: { type: 'answer', sdp: local.sdp } });
          settle();
        } else if (role === 'initiator' && signal.description.type === 'answer') {
          await setRemote(signal.description);
          settle();
        }
      } else if (signal.type === 'candidate') {
        if (remoteSet) await pc.addIceCandidate(signal.candidate as never);
        else pending.push(signal.candidate);
      } else {
        settle(new SignalingError('closed', 'the other peer left during negotiation'));
      }
    })().catch((err: Error) => settle(err));
  });

  try {
    if (role === 'initiator') {
      await pc.setLocalDescription((await pc.createOffer()) as never);
      const local = pc.localDescription;
      if (local) signaling.send({ type: 'description', description: { type: 'offer', sdp: local.sdp } });
    }
    await done;
    // The subscription stays: candidates keep trickling in after both descriptions are set.
    return role;
  } catch (err) {
    unsubscribe();
    throw err;
  } finally {
    clearTimeout(timer);
  }
}
