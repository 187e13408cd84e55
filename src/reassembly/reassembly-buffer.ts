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
 *
 * Fragments are copied in as they arrive (the caller's bytes may be a buffer it reuses): into
 * one buffer of `totalFragments` pieces once the piece length is known, each at sequence times
 * the piece length, so the message is already in order when the last one lands.
 */
export class ReassemblyBuffer {
  readonly shape: MessageShape;
  /** 1 for each fragment held. */
  private readonly held: Uint8Array;
  private receivedCount = 0;
  private byteCount = 0;
  /** Length of every fragment except the last, once known. */
  private pieceLength: number | undefined;
  /** The fragments in place, once the piece length is known. */
  private pieces: Uint8Array | undefined;
  /** The last fragment, when it came before the piece length was known (or is the only one). */
  private earlyLast: Uint8Array | undefined;

  constructor(shape: MessageShape) {
    this.shape = shape;
    this.held = new Uint8Array(shape.totalFragments);
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
    if (this.held[sequence] === 1) return 'duplicate';
    if (!last && this.pieceLength === undefined) {
      // Fragments seen so far (only the last could be) must fit the newly learned length.
      const early = this.earlyLast;
      if (early && early.length > data.length) return 'inconsistent';
      this.pieceLength = data.length;
      this.pieces = new Uint8Array(this.shape.totalFragments * data.length);
      if (early) this.pieces.set(early, (this.shape.totalFragments - 1) * data.length);
      this.earlyLast = undefined;
    }
    if (this.pieces !== undefined) this.pieces.set(data, sequence * (this.pieceLength as number));
    else this.earlyLast = data.slice();
    this.held[sequence] = 1;
    this.receivedCount++;
    this.byteCount += data.length;
    return 'new';
  }

  isComplete(): boolean {
    return this.receivedCount === this.shape.totalFragments;
  }

  /** The whole message, once complete: a buffer of exactly its length. */
  assemble(): Uint8Array {
    const pieces = this.pieces;
    if (pieces === undefined) return this.earlyLast ?? new Uint8Array(0);
    // A short last fragment leaves room at the end: deliver a buffer of the message's own length.
    return pieces.length === this.byteCount ? pieces : pieces.slice(0, this.byteCount);
  }
}
