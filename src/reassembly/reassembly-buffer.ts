/** The fields every fragment of one message must agree on. */
export interface MessageShape {
  messageNumber: number;
  totalFragments: number;
  ordered: boolean;
  reliable: boolean;
  orderedSequence: number | undefined;
}

export type FragmentOutcome = 'new' | 'duplicate' | 'inconsistent';

/**
 * Fragments of one message, collected by sequence number in any order. Every fragment but the
 * last has the same length (the sender cuts equal pieces), so the first one seen fixes the
 * message's size bound and a peer cannot inflate memory with odd fragments.
 */
export class ReassemblyBuffer {
  readonly shape: MessageShape;
  private readonly chunks: (Uint8Array | undefined)[];
  private receivedCount = 0;
  private byteCount = 0;
  /** Length of every fragment except the last, once known. */
  private pieceLength: number | undefined;

  constructor(shape: MessageShape) {
    this.shape = shape;
    this.chunks = new Array<Uint8Array | undefined>(shape.totalFragments);
  }

  get missing(): number {
    return this.shape.totalFragments - this.receivedCount;
  }

  /**
   * Memory this message may come to hold, given what has been seen: its size bound plus a
   * per-fragment allowance for bookkeeping, so that many tiny fragments cost what they weigh.
   */
  reservation(maxPayload: number): number {
    return this.shape.totalFragments * ((this.pieceLength ?? maxPayload) + ReassemblyBuffer.perFragmentOverhead);
  }

  static readonly perFragmentOverhead = 64;

  /** True when the fragment is the same message: header fields all agree. */
  matches(shape: MessageShape): boolean {
    const s = this.shape;
    return (
      s.totalFragments === shape.totalFragments &&
      s.ordered === shape.ordered &&
      s.reliable === shape.reliable &&
      s.orderedSequence === shape.orderedSequence
    );
  }

  add(sequence: number, data: Uint8Array): FragmentOutcome {
    if (!Number.isInteger(sequence) || sequence < 0 || sequence >= this.shape.totalFragments) return 'inconsistent';
    const last = sequence === this.shape.totalFragments - 1;
    if (this.pieceLength !== undefined) {
      if (last ? data.length > this.pieceLength : data.length !== this.pieceLength) return 'inconsistent';
    }
    if (this.chunks[sequence] !== undefined) return 'duplicate';
    if (!last && this.pieceLength === undefined) {
      // Fragments seen so far (only the last could be) must fit the newly learned length.
      const lastChunk = this.chunks[this.shape.totalFragments - 1];
      if (lastChunk && lastChunk.length > data.length) return 'inconsistent';
      this.pieceLength = data.length;
    }
    // A view into a larger decrypted datagram would pin the whole buffer: keep only our bytes.
    this.chunks[sequence] = data.byteLength * 2 < data.buffer.byteLength ? data.slice() : data;
    this.receivedCount++;
    this.byteCount += data.length;
    return 'new';
  }

  isComplete(): boolean {
    return this.receivedCount === this.shape.totalFragments;
  }

  assemble(): Uint8Array {
    if (this.shape.totalFragments === 1) return this.chunks[0] ?? new Uint8Array(0);
    const out = new Uint8Array(this.byteCount);
    let offset = 0;
    for (const chunk of this.chunks) {
      if (!chunk) continue;
      out.set(chunk, offset);
      offset += chunk.length;
    }
    return out;
  }
}
