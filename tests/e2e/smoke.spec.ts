import { expect, test } from '@playwright/test';
import { BUILD_URL, DEV_URL } from '../../playwright.config.js';

test('two RTCPeerConnections in one page exchange 1,000 messages on an unordered, no-retransmission channel', async ({ page }) => {
  await page.goto(DEV_URL);
  const result = await page.evaluate(async () => {
    const a = new RTCPeerConnection();
    const b = new RTCPeerConnection();
    const init: RTCDataChannelInit = { negotiated: true, id: 1000, ordered: false, maxRetransmits: 0 };
    const tx = a.createDataChannel('pdu', init);
    const rx = b.createDataChannel('pdu', init);
    tx.binaryType = rx.binaryType = 'arraybuffer';
    a.onicecandidate = (e) => e.candidate && b.addIceCandidate(e.candidate);
    b.onicecandidate = (e) => e.candidate && a.addIceCandidate(e.candidate);
    await a.setLocalDescription();
    await b.setRemoteDescription(a.localDescription!);
    await b.setLocalDescription();
    await a.setRemoteDescription(b.localDescription!);
    await Promise.all([tx, rx].map((ch) => (ch.readyState === 'open' ? null : new Promise((r) => (ch.onopen = r)))));

    const seen = new Set<number>();
    let corrupt = 0;
    const done = new Promise<void>((resolve) => {
      rx.onmessage = (e: MessageEvent<ArrayBuffer>) => {
        const view = new DataView(e.data);
        const id = view.getUint32(0);
        if (e.data.byteLength !== 512 || new Uint8Array(e.data)[511] !== (id & 0xff)) corrupt++;
        seen.add(id);
        if (seen.size === 1000) resolve();
      };
    });
    for (let i = 0; i < 1000; i++) {
      const msg = new Uint8Array(512).fill(i & 0xff);
      new DataView(msg.buffer).setUint32(0, i);
      tx.send(msg);
      // Stay well inside the channel's buffer so that nothing is dropped for lack of room.
      while (tx.bufferedAmount > 256 * 1024) await new Promise((r) => setTimeout(r, 1));
    }
    await Promise.race([done, new Promise((r) => setTimeout(r, 20_000))]);
    // getStats() may lag the transport by a moment (Chromium caches reports): look again briefly.
    const succeededPairs = async () => [...(await a.getStats()).values()].filter((s) => s.type === 'candidate-pair' && s.state === 'succeeded').length;
    let pairs = await succeededPairs();
    for (let tries = 0; pairs === 0 && tries < 20; tries++) {
      await new Promise((r) => setTimeout(r, 100));
      pairs = await succeededPairs();
    }
    const report = { received: seen.size, corrupt, ordered: tx.ordered, maxRetransmits: tx.maxRetransmits, pairs };
    a.close();
    b.close();
    return report;
  });
  expect(result).toEqual({ received: 1000, corrupt: 0, ordered: false, maxRetransmits: 0, pairs: result.pairs });
  expect(result.pairs).toBeGreaterThan(0);
});

test('the WebAssembly core loads in a page on the Vite dev server', async ({ page }) => {
  await page.goto(DEV_URL);
  const result = await page.evaluate(async () => {
    const modulePath = '/src/core/index.ts';
    const { loadWasmCore, referenceCore } = await import(/* @vite-ignore */ modulePath);
    const core = await loadWasmCore();
    const dst = Uint8Array.from({ length: 100 }, (_, i) => i);
    const src = Uint8Array.from({ length: 100 }, (_, i) => 255 - i);
    const expected = dst.slice();
    referenceCore.xorInto(expected, src);
    core.xorInto(dst, src);
    return { kind: core.kind, equal: dst.every((v: number, i: number) => v === expected[i]) };
  });
  expect(result).toEqual({ kind: 'wasm', equal: true });
});

test('the WebAssembly core loads in a Web Worker from the vite build output', async ({ page }) => {
  const wasmRequests: string[] = [];
  page.on('request', (req) => req.url().endsWith('.wasm') && wasmRequests.push(req.url()));
  await page.goto(BUILD_URL);
  await expect(page.locator('#core-status')).toHaveText('wasm');
  const xored = await page.evaluate(async () => {
    const run = (globalThis as unknown as { pduWorkerXor: (d: Uint8Array, s: Uint8Array) => Promise<number[]> }).pduWorkerXor;
    return run(Uint8Array.from([1, 2, 3, 250]), Uint8Array.from([255, 2, 1, 5]));
  });
  expect(xored).toEqual([254, 0, 2, 255]);
  // It came from the built assets, not from the source tree.
  expect(wasmRequests.some((url) => url.startsWith(`${BUILD_URL}/assets/`))).toBe(true);
});
