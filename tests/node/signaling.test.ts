import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { RTCPeerConnection } from 'werift';
import { createWeriftPeer } from '../../src/node/werift-peer.js';
import { startSignalingServer, type SignalingServer } from '../../src/signaling/server.js';
import { SignalHub } from '../../src/signaling/signal-hub.js';
import {
  connectWebSocketSignaling,
  negotiate,
  parseSignal,
  SignalingError,
  type NegotiablePeer,
  type WebSocketConstructor,
} from '../../src/signaling/index.js';

const WS = WebSocket as unknown as WebSocketConstructor;
const cleanup: Array<() => unknown> = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

async function server(): Promise<SignalingServer> {
  const s = await startSignalingServer();
  cleanup.push(() => s.close());
  return s;
}

describe('signaling messages', () => {
  it('rejects malformed, unknown and oversized messages', () => {
    expect(parseSignal('not json')).toBeUndefined();
    expect(parseSignal('{"type":"join","room":"has space"}')).toBeUndefined();
    expect(parseSignal('{"type":"description","description":{"type":"pranswer","sdp":""}}')).toBeUndefined();
    expect(parseSignal('{"type":"candidate","candidate":{"candidate":1}}')).toBeUndefined();
    expect(parseSignal(JSON.stringify({ type: 'bye', pad: 'x'.repeat(70_000) }))).toBeUndefined();
    expect(parseSignal('{"type":"join","room":"a-1"}')).toEqual({ type: 'join', room: 'a-1' });
  });
});

describe('signal fan-out', () => {
  it('gives a late subscriber the signals an earlier one already saw', () => {
    const hub = new SignalHub();
    const watcher: string[] = [];
    hub.subscribe((sig) => watcher.push(sig.type)); // e.g. a handler that only watches for peer-left
    hub.deliver({ type: 'description', description: { type: 'offer', sdp: 'v=0' } });
    hub.deliver({ type: 'candidate', candidate: { candidate: 'candidate:1' } });
    const negotiator: string[] = [];
    hub.subscribe((sig) => negotiator.push(sig.type));
    hub.deliver({ type: 'peer-left' });
    expect(watcher).toEqual(['description', 'candidate', 'peer-left']);
    expect(negotiator).toEqual(['description', 'candidate', 'peer-left']);
  });
});

describe('WebSocket signaling server', () => {
  it('gives the newcomer the initiator role and refuses a third peer', async () => {
    const s = await server();
    const first = connectWebSocketSignaling(s.url, 'room1', { WebSocket: WS });
    await new Promise((r) => setTimeout(r, 50));
    const second = connectWebSocketSignaling(s.url, 'room1', { WebSocket: WS });
    cleanup.push(() => first.close(), () => second.close());
    expect(await first.ready).toBe('responder');
    expect(await second.ready).toBe('initiator');
    const third = connectWebSocketSignaling(s.url, 'room1', { WebSocket: WS });
    cleanup.push(() => third.close());
    await expect(third.ready).rejects.toMatchObject({ code: 'room_full' });
    await expect(third.ready).rejects.toBeInstanceOf(SignalingError);
  });

  it('tells a peer when the other leaves', async () => {
    const s = await server();
    const a = connectWebSocketSignaling(s.url, 'room2', { WebSocket: WS });
    const b = connectWebSocketSignaling(s.url, 'room2', { WebSocket: WS });
    await Promise.all([a.ready, b.ready]);
    const left = new Promise((resolve) => a.onSignal((sig) => sig.type === 'peer-left' && resolve(sig)));
    b.close();
    expect(await left).toEqual({ type: 'peer-left' });
    a.close();
  });

  it('connects two werift peers through the server with trickled candidates', async () => {
    const s = await server();
    const peers: RTCPeerConnection[] = [await createWeriftPeer(), await createWeriftPeer()];
    cleanup.push(() => Promise.all(peers.map((p) => p.close())));
    const channels = peers.map((pc) => pc.createDataChannel('pdu', { negotiated: true, id: 1000, ordered: false, maxRetransmits: 0 }));
    const signals = [connectWebSocketSignaling(s.url, 'room3', { WebSocket: WS }), connectWebSocketSignaling(s.url, 'room3', { WebSocket: WS })];
    cleanup.push(() => signals.forEach((sig) => sig.close()));
    const roles = await Promise.all(peers.map((pc, i) => negotiate(pc as unknown as NegotiablePeer, signals[i]!)));
    expect(new Set(roles)).toEqual(new Set(['initiator', 'responder']));
    for (const ch of channels) if (ch.readyState !== 'open') await ch.stateChanged.watch((st) => st === 'open');
    const got = new Promise<string>((resolve) => channels[1]!.onMessage.subscribe((d) => resolve(d.toString())));
    channels[0]!.send(Buffer.from('through the room'));
    expect(await got).toBe('through the room');
    expect(s.stats.relayed).toBeGreaterThanOrEqual(2);
  });
});
