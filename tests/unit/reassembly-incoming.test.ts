import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { IncomingMessages, type IncomingFragment } from '../../src/reassembly/incoming-messages.js';
import { ReassemblyBuffer } from '../../src/reassembly/reassembly-buffer.js';

const limits = { maxMessagesInProgress: 8, maxReassemblyBytes: 64 * 1024, maxFragmentsPerMessage: 1000, maxPayload: 100, maxFinishedRanges: 32 };

function fragmentsOf(messageNumber: number, data: Uint8Array, piece: number, orderedSequence?: number): IncomingFragment[] {
  const total = Math.max(1, Math.ceil(data.length / piece));
  return Array.from({ length: total }, (_, sequence) => ({
    messageNumber,
    totalFragments: total,
    ordered: orderedSequence !== undefined,
    reliable: true,
    orderedSequence,
    sequence,
    data: data.subarray(sequence * piece, Math.min(data.length, (sequence + 1) * piece)),
  }));
}

const bytes = (n: number, seed: number) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff);

describe('ReassemblyBuffer', () => {
  it('assembles out of order and ignores duplicates', () => {
    const data = bytes(250, 1);
    const frags = fragmentsOf(0, data, 100);
    const b = new ReassemblyBuffer(frags[0]!);
    expect(b.add(2, frags[2]!.data)).toBe('new');
    expect(b.add(0, frags[0]!.data)).toBe('new');
    expect(b.add(0, frags[0]!.data)).toBe('duplicate');
    expect(b.isComplete()).toBe(false);
    expect(b.add(1, frags[1]!.data)).toBe('new');
    expect(b.assemble()).toEqual(data);
  });

  it('copies fragments in (the caller may reuse its buffer) and delivers a buffer of the message\'s length', () => {
    for (const order of [[0, 1, 2], [2, 1, 0], [2, 0, 1]]) {
      const data = bytes(250, 3);
      const frags = fragmentsOf(0, data, 100);
      const b = new ReassemblyBuffer(frags[0]!);
      const reused = new Uint8Array(100);
      for (const sequence of order) {
        const piece = frags[sequence]!.data;
        reused.set(piece);
        expect(b.add(sequence, reused.subarray(0, piece.length))).toBe('new');
        reused.fill(0xee);
      }
      const message = b.assemble();
      expect(message, order.join()).toEqual(data);
      expect(message.buffer.byteLength, order.join()).toBe(250);
    }
    const single = new ReassemblyBuffer({ messageNumber: 1, totalFragments: 1, ordered: false, reliable: true, orderedSequence: undefined });
    const reused = bytes(40, 4);
    single.add(0, reused);
    reused.fill(0);
    expect(single.assemble()).toEqual(bytes(40, 4));
  });

  it('rejects pieces whose length contradicts the message', () => {
    const b = new ReassemblyBuffer({ messageNumber: 0, totalFragments: 3, ordered: false, reliable: true, orderedSequence: undefined });
    expect(b.add(0, new Uint8Array(100))).toBe('new');
    expect(b.add(1, new Uint8Array(50))).toBe('inconsistent');
    expect(b.add(2, new Uint8Array(101))).toBe('inconsistent');
    expect(b.add(5, new Uint8Array(1))).toBe('inconsistent');
  });
});

describe('IncomingMessages', () => {
  it('delivers unordered messages as they complete, exactly once', () => {
    const m = new IncomingMessages(limits);
    const a = fragmentsOf(0, bytes(150, 1), 100);
    const b = fragmentsOf(1, bytes(50, 2), 100);
    expect(m.accept(a[0]!).deliver).toEqual([]);
    expect(m.accept(b[0]!).deliver.map((x) => x.messageNumber)).toEqual([1]);
    expect(m.accept(a[1]!).deliver.map((x) => x.messageNumber)).toEqual([0]);
    expect(m.accept(a[1]!)).toEqual({ outcome: 'duplicate', deliver: [] });
    expect(m.accept(b[0]!).outcome).toBe('duplicate');
    expect(m.bufferedBytes).toBe(0);
  });

  it('holds ordered messages until their predecessors arrive', () => {
    const m = new IncomingMessages(limits);
    const first = fragmentsOf(0, bytes(10, 1), 100, 0);
    const second = fragmentsOf(1, bytes(10, 2), 100, 1);
    expect(m.accept(second[0]!).deliver).toEqual([]);
    expect(m.orderedWaiting).toBe(1);
    expect(m.accept(first[0]!).deliver.map((x) => x.messageNumber)).toEqual([0, 1]);
  });

  it('skips an ordered slot whose message was cancelled unseen', () => {
    const m = new IncomingMessages(limits);
    // Message 1 (ordered seq 1) was cancelled by the sender before we saw any of it.
    const third = fragmentsOf(2, bytes(10, 3), 100, 2);
    const first = fragmentsOf(0, bytes(10, 1), 100, 0);
    expect(m.accept(first[0]!).deliver.length).toBe(1);
    expect(m.accept(third[0]!).deliver).toEqual([]);
    expect(m.cancel([1]).deliver.map((x) => x.messageNumber)).toEqual([2]);
    expect(m.orderedSkipped).toBe(1);
  });

  it('drops partial state on cancel and never delivers the message later', () => {
    const m = new IncomingMessages(limits);
    const a = fragmentsOf(0, bytes(150, 1), 100);
    m.accept(a[0]!);
    expect(m.cancel([0]).dropped).toEqual([0]);
    expect(m.accept(a[1]!).outcome).toBe('duplicate');
    expect(m.messagesInProgress).toBe(0);
    expect(m.bufferedBytes).toBe(0);
  });

  it('still delivers, in its turn, a complete ordered message the sender cancels while it waits', () => {
    const m = new IncomingMessages(limits);
    // Message 1 (ordered seq 1) is complete but waits for message 0; the sender then cancels it.
    // Every fragment was acknowledged, so the sender reports it delivered: so must we.
    const waiting = fragmentsOf(1, bytes(10, 2), 100, 1);
    expect(m.accept(waiting[0]!).completed).toBe(true);
    expect(m.cancel([1])).toEqual({ dropped: [], ended: [], completed: [1], deliver: [] });
    expect(m.accept(fragmentsOf(0, bytes(10, 1), 100, 0)[0]!).deliver.map((x) => x.messageNumber)).toEqual([0, 1]);
    expect(m.bufferedBytes).toBe(0);
  });

  it('answers a cancel with the messages it had whole, and only those', () => {
    const m = new IncomingMessages(limits);
    m.accept(fragmentsOf(0, bytes(10, 1), 100)[0]!);
    m.accept(fragmentsOf(1, bytes(150, 1), 100)[0]!);
    // 0 complete, 1 half there, 2 never seen; 1 and 2 end here, and a second CANCEL for them
    // (the first answer lost) gets the same answer.
    expect(m.cancel([0, 1, 2])).toMatchObject({ dropped: [1], ended: [1, 2], completed: [0] });
    expect(m.cancel([2, 1, 0]).completed).toEqual([0]);
    // Ended unfinished (a CANCEL, or the receiver's own deadline, which ends it alike): never completed.
    m.accept(fragmentsOf(3, bytes(150, 1), 100)[0]!);
    m.cancel([3]);
    expect(m.isCompleted(3)).toBe(false);
  });

  it('never answers completed for a number whose history it had to cut', () => {
    const m = new IncomingMessages({ ...limits, maxFinishedRanges: 2 });
    // Every other message completes, so the finished set fragments into single ranges; cutting
    // it swallows the gaps (never seen) into the floor, where completion is no longer known.
    for (const n of [1, 3, 5, 7, 9]) m.accept(fragmentsOf(n, bytes(10, 1), 100)[0]!);
    expect(m.isFinished(0) && m.isFinished(2)).toBe(true);
    expect(m.cancel([0, 1, 2, 7, 9]).completed).toEqual([7, 9]);
  });

  it('refuses new messages beyond its caps but always admits the next ordered one', () => {
    const m = new IncomingMessages({ ...limits, maxMessagesInProgress: 2 });
    m.accept(fragmentsOf(10, bytes(150, 1), 100, 1)[0]!);
    m.accept(fragmentsOf(11, bytes(150, 1), 100, 2)[0]!);
    expect(m.accept(fragmentsOf(12, bytes(150, 1), 100)[0]!).outcome).toBe('refused');
    expect(m.accept(fragmentsOf(9, bytes(150, 1), 100, 0)[0]!).outcome).toBe('accepted');
    const huge = { ...fragmentsOf(13, bytes(100, 1), 100)[0]!, totalFragments: 5000 };
    expect(m.accept(huge).outcome).toBe('invalid');
  });

  it('reassembles any interleaving of duplicated, shuffled fragments (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 700 }), { minLength: 1, maxLength: 6 }),
        fc.integer({ min: 1, max: 100 }),
        fc.boolean(),
        (sizes, seed, ordered) => {
          const m = new IncomingMessages({ ...limits, maxMessagesInProgress: 16 });
          const all = sizes.flatMap((size, n) => fragmentsOf(n, bytes(size, n + seed), 100, ordered ? n : undefined));
          const shuffled = [...all, ...all.slice(0, seed % all.length)].sort((x, y) => ((x.sequence * 7919 + x.messageNumber * seed) % 13) - ((y.sequence * 7919 + y.messageNumber * seed) % 13));
          const delivered: number[] = [];
          for (const f of shuffled) {
            for (const d of m.accept(f).deliver) {
              expect(d.data).toEqual(bytes(sizes[d.messageNumber]!, d.messageNumber + seed));
              delivered.push(d.messageNumber);
            }
          }
          expect([...delivered].sort((x, y) => x - y)).toEqual(sizes.map((_, i) => i));
          if (ordered) expect(delivered).toEqual(sizes.map((_, i) => i));
          expect(m.bufferedBytes).toBe(0);
        },
      ),
    );
  });
});
