import { expect, test } from '@playwright/test';
import { DEV_URL } from '../../playwright.config.js';
import { PduChannel } from '../../src/index.node.js';
import { createWeriftPeer } from '../../src/node/werift-peer.js';
import { startSignalingServer } from '../../src/signaling/server.js';
import { connectWebSocketSignaling, negotiate, type NegotiablePeer, type WebSocketConstructor } from '../../src/signaling/index.js';
import WebSocket from 'ws';
import { messageBytes, mixedSizes, verifyMessage } from '../support/workload.js';

for (const worker of [true, false]) {
  test(`one page, two peers, PDU ${worker ? 'in workers' : 'on the page, no bundles'}: 1,000 mixed messages up to 1 MiB arrive byte-identical`, async ({ page }) => {
    test.setTimeout(240_000);
    await page.goto(DEV_URL);
    const result = await page.evaluate(async (worker: boolean) => {
      const lib = '/src/index.ts';
      const support = '/tests/support/workload.ts';
      const { PduChannel } = await import(/* @vite-ignore */ lib);
      const { messageBytes, mixedSizes, verifyMessage } = await import(/* @vite-ignore */ support);
      const pa = new RTCPeerConnection();
      const pb = new RTCPeerConnection();
      pa.onicecandidate = (e) => e.candidate && pb.addIceCandidate(e.candidate);
      pb.onicecandidate = (e) => e.candidate && pa.addIceCandidate(e.candidate);
      // On the page without bundles, datagrams are reused only after RTCDataChannel.send copied them.
      const bundles = worker ? {} : { bundleBytes: 0 };
      const opening = [PduChannel.open(pa, { role: 'initiator', worker, ...bundles }), PduChannel.open(pb, { role: 'responder', worker, ...bundles })];
      await pa.setLocalDescription();
      await pb.setRemoteDescription(pa.localDescription!);
      await pb.setLocalDescription();
      await pa.setRemoteDescription(pb.localDescription!);
      const [a, b] = await Promise.all(opening);

      const sizes: number[] = mixedSizes(1000, 11);
      const received = new Set<number>();
      let corrupt = 0;
      const allIn = new Promise<void>((resolve) =>
        b.on('message', ({ data }: { data: Uint8Array }) => {
          const index = verifyMessage(data, (i: number) => sizes[i]);
          if (index < 0 || received.has(index)) corrupt++;
          else received.add(index);
          if (received.size === sizes.length) resolve();
        }),
      );
      let next = 0;
      const sender = async () => {
        while (next < sizes.length) {
          const i = next++;
          await a.send(messageBytes(i, sizes[i]));
        }
      };
      await Promise.all(Array.from({ length: 32 }, sender));
      await allIn;
      const stats = await a.stats();
      const peerStats = await b.stats();
      const report = {
        received: received.size,
        corrupt,
        sasMatch: a.sas === b.sas && a.sas.length > 0,
        delivered: stats.messages.delivered,
        // Sent datagrams go back to the engine for reuse once copied: after RTCDataChannel.send
        // (which copies), on the page or in the worker the channel moved into, or once copied
        // into a bundle. A datagram written over before it was copied would fail authentication
        // at the peer.
        reusing: stats.traffic.datagramsReused > stats.traffic.datagramsSent / 4,
        authFailed: stats.dropped.session.auth_failed + peerStats.dropped.session.auth_failed,
      };
      await Promise.all([a.close(), b.close()]);
      pa.close();
      pb.close();
      return report;
    }, worker);
    expect(result).toEqual({ received: 1000, corrupt: 0, sasMatch: true, delivered: 1000, reusing: true, authFailed: 0 });
  });
}

// Three stripes: PDU opens the two extra peer connections itself on each side and negotiates them
// over the first one, across the two stacks' control channels.
for (const stripes of [1, 3]) {
  test(`Chromium <-> werift, PDU on both ends, over the project signaling server${stripes > 1 ? `, striped over ${stripes} connections PDU negotiates in band` : ''}`, async ({ page }) => {
    test.setTimeout(120_000);
    page.on('pageerror', (e) => console.log('[pageerror]', e.message));
    const server = await startSignalingServer();
    const pc = await createWeriftPeer();
    const extraPeers: Awaited<ReturnType<typeof createWeriftPeer>>[] = [];
    const createPeer = async () => {
      const extra = await createWeriftPeer();
      extraPeers.push(extra);
      return extra;
    };
    try {
      const nodeChannel = PduChannel.open(pc, stripes > 1 ? { stripes: { count: stripes, createPeer } } : {});
      const signaling = connectWebSocketSignaling(server.url, 'interop', { WebSocket: WebSocket as unknown as WebSocketConstructor });
      const nodeSide = negotiate(pc as unknown as NegotiablePeer, signaling);
      await page.goto(DEV_URL);
      const browserDone = page.evaluate(
        async ({ url, stripes }: { url: string; stripes: number }) => {
          const [lib, signalingLib, support] = ['/src/index.ts', '/src/signaling/index.ts', '/tests/support/workload.ts'];
          const { PduChannel } = await import(/* @vite-ignore */ lib);
          const { connectWebSocketSignaling, negotiate } = await import(/* @vite-ignore */ signalingLib);
          const { messageBytes } = await import(/* @vite-ignore */ support);
          // The page gives only a count: PDU makes each extra peer like the first, of its class
          // (which counts them here) and with its configuration.
          const made: RTCPeerConnection[] = [];
          class CountedPeer extends RTCPeerConnection {
            constructor(config?: RTCConfiguration) {
              super(config);
              made.push(this);
            }
          }
          const pc = new CountedPeer();
          made.length = 0;
          const opening = PduChannel.open(pc, stripes > 1 ? { stripes } : {});
          await negotiate(pc, connectWebSocketSignaling(url, 'interop'));
          const ch = await opening;
          const connected = made.filter((p) => p.connectionState === 'connected').length;
          const transferred: boolean = ch.transferred;
          for (let i = 0; i < 50; i++) await ch.send(messageBytes(i, 100 + i * 997));
          const echoed: number[] = await new Promise((resolve) => {
            const seen: number[] = [];
            ch.on('message', ({ data }: { data: Uint8Array }) => {
              seen.push(data.length);
              if (seen.length === 5) resolve(seen);
            });
          });
          return { sas: ch.sas, echoed, connected, transferred };
        },
        { url: server.url, stripes },
      );
      expect(await nodeSide).toBe('responder');
      const ch = await nodeChannel;
      const sizes = Array.from({ length: 50 }, (_, i) => 100 + i * 997);
      const got: number[] = [];
      await new Promise<void>((resolve) =>
        ch.on('message', ({ data }) => {
          got.push(verifyMessage(data, (i) => sizes[i]));
          if (got.length === 50) resolve();
        }),
      );
      for (let i = 0; i < 5; i++) await ch.send(messageBytes(i, 3000 + i));
      const browser = await browserDone;
      expect(got.filter((i) => i >= 0).sort((x, y) => x - y)).toEqual(sizes.map((_, i) => i));
      expect(browser.echoed.sort()).toEqual([3000, 3001, 3002, 3003, 3004]);
      expect(browser.sas).toBe(ch.sas);
      expect(browser.connected).toBe(stripes - 1);
      // Every stripe's channel moved into the page's PDU worker: nothing is relayed by the page.
      expect(browser.transferred).toBe(true);
      expect(extraPeers.map((p) => p.connectionState)).toEqual(Array(stripes - 1).fill('connected'));
      await ch.close();
    } finally {
      await Promise.all(extraPeers.map((p) => p.close()));
      await pc.close();
      await server.close();
    }
  });
}

// Both ends in one page, three stripes PDU negotiates in band. Each stripe's channel moves into
// the worker in the task that made it; where the platform refuses the move (simulated here by a
// postMessage that will not transfer a data channel), every stripe stays on the page and is relayed.
for (const refuseMove of [false, true]) {
  test(`one page, two peers striped over 3 connections in band, channels ${refuseMove ? 'relayed (move refused)' : 'moved into the workers'}: 300 messages arrive`, async ({ page }) => {
    test.setTimeout(120_000);
    await page.goto(DEV_URL);
    const result = await page.evaluate(async (refuseMove: boolean) => {
      const lib = '/src/index.ts';
      const support = '/tests/support/workload.ts';
      const { PduChannel } = await import(/* @vite-ignore */ lib);
      const { messageBytes, verifyMessage } = await import(/* @vite-ignore */ support);
      if (refuseMove) {
        const post = Worker.prototype.postMessage as (this: Worker, message: unknown, transfer: Transferable[]) => void;
        Worker.prototype.postMessage = function (this: Worker, message: unknown, transfer?: unknown) {
          const list = Array.isArray(transfer) ? transfer : [];
          if (list.some((t) => t instanceof RTCDataChannel)) throw new DOMException('refused for the test', 'DataCloneError');
          post.call(this, message, list as Transferable[]);
        } as typeof Worker.prototype.postMessage;
      }
      const pa = new RTCPeerConnection();
      const pb = new RTCPeerConnection();
      pa.onicecandidate = (e) => e.candidate && pb.addIceCandidate(e.candidate);
      pb.onicecandidate = (e) => e.candidate && pa.addIceCandidate(e.candidate);
      const opening = [PduChannel.open(pa, { role: 'initiator', stripes: 3, trace: { maxEvents: 50_000 } }), PduChannel.open(pb, { role: 'responder', stripes: 3 })];
      await pa.setLocalDescription();
      await pb.setRemoteDescription(pa.localDescription!);
      await pb.setLocalDescription();
      await pa.setRemoteDescription(pb.localDescription!);
      const [a, b] = await Promise.all(opening);
      const sizes = Array.from({ length: 300 }, (_, i) => 100 + ((i * 7919) % 40_000));
      const received = new Set<number>();
      const allIn = new Promise<void>((resolve) =>
        b.on('message', ({ data }: { data: Uint8Array }) => {
          received.add(verifyMessage(data, (i: number) => sizes[i]));
          if (received.size === sizes.length) resolve();
        }),
      );
      await Promise.all(sizes.map((size, i) => a.send(messageBytes(i, size))));
      await allIn;
      const stats = await a.stats();
      const report = {
        received: [...received].filter((i) => i >= 0).length,
        stripes: [a.stripeCount, b.stripeCount],
        transferred: [a.transferred, b.transferred],
        // The datagrams really went over all three connections' channels.
        lanesUsed: new Set((await a.exportTrace()).trim().split('\n').filter(Boolean).map((l: string) => JSON.parse(l)).filter((r: { event: string }) => r.event === 'sent').map((r: { lane?: number }) => r.lane)).size,
        delivered: stats.messages.delivered,
      };
      await Promise.all([a.close(), b.close()]);
      pa.close();
      pb.close();
      return report;
    }, refuseMove);
    expect(result).toEqual({ received: 300, stripes: [3, 3], transferred: [!refuseMove, !refuseMove], lanesUsed: 3, delivered: 300 });
  });
}
