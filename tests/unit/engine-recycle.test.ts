import { describe, expect, it } from 'vitest';
import { PduEngine } from '../../src/engine/index.js';
import { payload, sameBytes, seededRandomBytes } from './engine-harness.js';

interface Run {
  /** Every datagram each side sent, copied as it left. */
  wire: string[];
  delivered: Uint8Array[];
  /** Datagrams written into memory an earlier datagram had. */
  reused: number;
  /** Fragments the sender sent again. */
  retransmissions: number;
}

const hex = (d: Uint8Array) => Buffer.from(d.buffer, d.byteOffset, d.byteLength).toString('hex');

/**
 * Two engines back to back on a virtual clock, one datagram at a time, some of them dropped so
 * that NACKs, retransmissions and timers run too. With `recycle`, each datagram is scribbled over
 * once its peer has handled it (or it was dropped) and handed back to its sender.
 */
function run(recycle: boolean): Run {
  const a = new PduEngine({ role: 'initiator', security: { randomBytes: seededRandomBytes(11) } });
  const b = new PduEngine({ role: 'responder', security: { randomBytes: seededRandomBytes(12) } });
  const out: Run = { wire: [], delivered: [], reused: 0, retransmissions: 0 };
  const seen = new WeakSet<ArrayBufferLike>();
  let now = 0;
  let count = 0;
  const move = (from: PduEngine, to: PduEngine): boolean => {
    let moved = false;
    for (let d = from.pollTransmit(now); d; d = from.pollTransmit(now)) {
      moved = true;
      out.wire.push(hex(d));
      if (seen.has(d.buffer)) out.reused++;
      seen.add(d.buffer);
      // Every 9th datagram is lost, handshake aside.
      if (++count % 9 !== 0 || count < 10) to.handleDatagram(d, now);
      if (recycle) {
        d.fill(0xee);
        from.recycleDatagram(d);
      }
    }
    return moved;
  };
  a.connect(now);
  const sizes = [1, 1500, 70_000, 200, 65_536, 3000, 1_200_000, 9];
  let sent = 0;
  for (let step = 0; step < 200_000 && out.delivered.length < sizes.length; step++) {
    if (a.state === 'established' && sent < sizes.length && step % 50 === 0) a.send(payload(sent, sizes[sent]!), undefined, now);
    if (a.state === 'established' && sent < sizes.length && step % 50 === 0) sent++;
    while (move(a, b) || move(b, a));
    while (a.pollEvent());
    for (let e = b.pollEvent(); e; e = b.pollEvent()) if (e.type === 'message') out.delivered.push(e.data);
    now += 1;
    a.handleTimeout(now);
    b.handleTimeout(now);
  }
  const { timeout, predictive } = a.stats().recovery.retransmissions;
  out.retransmissions = timeout + predictive;
  // The engines count what the wire shows.
  expect(a.stats().traffic.datagramsReused + b.stats().traffic.datagramsReused).toBe(out.reused);
  return out;
}

describe('PduEngine datagram recycling', () => {
  it('sends the very same bytes when its datagrams come back scribbled over, and delivers intact', () => {
    const plain = run(false);
    const recycled = run(true);
    expect(plain.delivered.length).toBe(8);
    expect(recycled.delivered.map((d, i) => sameBytes(d, plain.delivered[i]!))).toEqual(Array(8).fill(true));
    expect(recycled.delivered.map((d, i) => d.length === [1, 1500, 70_000, 200, 65_536, 3000, 1_200_000, 9][i])).toEqual(
      Array(8).fill(true),
    );
    // Byte for byte the same conversation, retransmissions and control frames included: every
    // byte of a recycled buffer is written again, and neither side kept a view of one.
    expect(recycled.wire.length).toBe(plain.wire.length);
    expect(recycled.wire.findIndex((d, i) => d !== plain.wire[i])).toBe(-1);
    expect(plain.retransmissions).toBeGreaterThan(0);
    expect(plain.reused).toBe(0);
    expect(recycled.reused).toBeGreaterThan(recycled.wire.length / 2);
  });
});
