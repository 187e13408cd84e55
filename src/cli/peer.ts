/**
 * `pdu peer --room NAME --signal URL`: a Node peer (werift) that joins a demo room through the
 * WebSocket signaling server and talks the demo's protocol: lines typed here go out as chat,
 * chat from the other side is printed, files are received and their SHA-256 checked. Its ICE
 * servers are the loopback STUN responder unless the user names their own STUN/TURN servers.
 */
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import WebSocket from 'ws';
import type { RTCIceServer } from 'werift';
import { MAX_STRIPES, PduChannel, PduHost } from '../index.node.js';
import { createWeriftPeer } from '../node/werift-peer.js';
import { connectWebSocketSignaling, negotiate, type NegotiablePeer, type WebSocketConstructor } from '../signaling/index.js';
import { ROOM_PATTERN } from '../signaling/protocol.js';
import { lossSpecFor, type ImpairmentConfig } from '../transport/impaired-channel.js';
import { FileReceiver } from './demo-files.js';
import { decodeDemoMessage, encodeDemoMessage } from './demo-protocol.js';

export const PEER_USAGE = `usage: pdu peer --room NAME [--signal URL] [options]

Joins room NAME on a PDU signaling server (default ws://127.0.0.1:8787, what \`npm run demo\`
starts) as the other peer of the demo page. Type a line to send it as chat; Ctrl-C leaves.

  --signal URL            signaling server (ws:// or wss://)
  --stun URL              STUN server, e.g. stun:stun.example.org:3478 (repeatable; default: a
                          loopback responder in this process, which suffices on one machine)
  --turn URL              TURN server, e.g. turn:turn.example.org:3478?transport=udp (repeatable)
  --turn-user NAME        TURN username
  --turn-pass SECRET      TURN credential
  --loss PCT              impair what this peer sends: loss in percent
  --burst N               mean loss burst length in datagrams (default 1: independent losses)
  --delay MS, --jitter MS added one-way delay and its jitter
  --rate MBITS            rate cap in Mbit/s
  --stripes N             stripe over N peer connections, the extra ones negotiated by PDU
                          over the first (the page must ask for the same: ?stripes=N)
`;

export interface PeerIo {
  /** Lines to send as chat (default: stdin). */
  input: AsyncIterable<string>;
  print(line: string): void;
  /** Leaving (default: Ctrl-C). */
  signal: AbortSignal;
}

interface PeerOptions {
  room: string;
  signal: string;
  iceServers: RTCIceServer[] | undefined;
  impairment: ImpairmentConfig | undefined;
  stripes: number;
}

/** Runs the peer until the user leaves, the other peer leaves or the channel closes; returns the exit code. */
export async function peerMain(argv: string[], io: Partial<PeerIo> = {}): Promise<number> {
  const print = io.print ?? ((line: string) => console.log(line));
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(PEER_USAGE);
    return 0;
  }
  let options: PeerOptions;
  try {
    options = parsePeerArgs(argv);
  } catch (err) {
    process.stderr.write(`pdu peer: ${(err as Error).message}\n\n${PEER_USAGE}`);
    return 2;
  }
  const stdin = io.input ? undefined : createInterface({ input: process.stdin });
  const leave = new AbortController();
  const onSigint = () => leave.abort();
  if (io.signal) io.signal.addEventListener('abort', onSigint, { once: true });
  else process.once('SIGINT', onSigint);

  // A host of its own, so that leaving also stops its worker and the process can end.
  const host = new PduHost();
  const pc = await createWeriftPeer(options.iceServers ? { iceServers: options.iceServers } : {});
  const signaling = connectWebSocketSignaling(options.signal, options.room, { WebSocket: WebSocket as unknown as WebSocketConstructor });
  signaling.onSignal((s) => (s.type === 'peer-left' || s.type === 'bye') && leave.abort());
  let channel: PduChannel | undefined;
  try {
    print(`joined room ${options.room} on ${options.signal}; waiting for the other peer`);
    await Promise.race([signaling.ready, aborted(leave.signal)]);
    if (leave.signal.aborted) return 0;
    // The channel must exist before the offer, and its open timeout runs from here.
    // Striped, the other connections are made like this one (its ICE servers included).
    const opening = PduChannel.open(pc, { host, ...(options.stripes > 1 ? { stripes: options.stripes } : {}) });
    const role = await negotiate(pc as unknown as NegotiablePeer, signaling);
    const ch = (channel = await opening);
    if (options.impairment) ch.impair(options.impairment);
    print(`connected as ${role}${ch.stripeCount > 1 ? `, striped over ${ch.stripeCount} peer connections` : ''}. SAS: ${ch.sas} (compare it with the other side)`);
    const files = new FileReceiver({
      onOffer: (name, size) => print(`receiving ${name} (${size} bytes)`),
      onComplete: (f) =>
        print(`received ${f.name}: ${f.bytes.byteLength} bytes in ${(f.elapsedMs / 1000).toFixed(1)} s, SHA-256 ${f.ok ? 'matches' : `MISMATCH (expected ${f.expected}, got ${f.actual})`}`),
    });
    ch.on('message', ({ data }) => {
      const message = decodeDemoMessage(data);
      if (message?.kind === 'chat') print(`peer: ${message.text}`);
      else if (message) files.handle(message);
    });
    ch.on('close', ({ reason }) => {
      print(`channel closed: ${reason}`);
      leave.abort();
    });
    void (async () => {
      for await (const line of io.input ?? stdin!) {
        if (leave.signal.aborted) break;
        if (line.trim() !== '') await ch.send(encodeDemoMessage({ kind: 'chat', text: line }), { priority: 1 }).catch(() => undefined);
      }
    })();
    await aborted(leave.signal);
    return 0;
  } catch (err) {
    print(`pdu peer: ${(err as Error).message}`);
    return 1;
  } finally {
    io.signal?.removeEventListener('abort', onSigint);
    process.removeListener('SIGINT', onSigint);
    stdin?.close();
    await channel?.close();
    signaling.close();
    await pc.close();
    host.terminate();
  }
}

function parsePeerArgs(argv: string[]): PeerOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      room: { type: 'string' },
      signal: { type: 'string', default: 'ws://127.0.0.1:8787' },
      stun: { type: 'string', multiple: true },
      turn: { type: 'string', multiple: true },
      'turn-user': { type: 'string' },
      'turn-pass': { type: 'string' },
      loss: { type: 'string' },
      burst: { type: 'string' },
      delay: { type: 'string' },
      jitter: { type: 'string' },
      rate: { type: 'string' },
      stripes: { type: 'string', default: '1' },
    },
  });
  if (!values.room || !ROOM_PATTERN.test(values.room)) throw new Error('--room NAME is required (letters, digits, _ and -, up to 64)');
  if (!/^wss?:\/\//.test(values.signal)) throw new Error(`--signal must be a ws:// or wss:// URL, got ${values.signal}`);
  const iceServers: RTCIceServer[] = [
    ...(values.stun ?? []).map((urls) => ({ urls })),
    ...(values.turn ?? []).map((urls) => ({ urls, username: values['turn-user'], credential: values['turn-pass'] })),
  ];
  const number = (flag: string, text: string | undefined, max: number): number | undefined => {
    if (text === undefined) return undefined;
    const v = Number(text);
    if (!(v >= 0 && v <= max)) throw new Error(`--${flag} must be a number from 0 to ${max}, got ${text}`);
    return v;
  };
  const loss = number('loss', values.loss, 50);
  const burst = number('burst', values.burst, 100);
  const delayMs = number('delay', values.delay, 10_000);
  const jitterMs = number('jitter', values.jitter, 10_000);
  const rate = number('rate', values.rate, 10_000);
  const impaired = [loss, delayMs, jitterMs, rate].some((v) => v !== undefined && v > 0);
  const stripes = Number(values.stripes);
  if (!Number.isInteger(stripes) || stripes < 1 || stripes > MAX_STRIPES) throw new Error(`--stripes must be an integer from 1 to ${MAX_STRIPES}, got ${values.stripes}`);
  return {
    room: values.room,
    signal: values.signal,
    iceServers: iceServers.length > 0 ? iceServers : undefined,
    stripes,
    impairment: impaired
      ? { loss: lossSpecFor((loss ?? 0) / 100, burst ?? 1), delayMs: delayMs ?? 0, jitterMs: jitterMs ?? 0, ...(rate ? { rateBitsPerSecond: rate * 1e6 } : {}) }
      : undefined,
  };
}

function aborted(signal: AbortSignal): Promise<void> {
  return signal.aborted ? Promise.resolve() : new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}
