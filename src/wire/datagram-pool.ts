/**
 * Buffers for sealed datagrams, reused once the host hands them back.
 *
 * A new Uint8Array of datagram size gets a backing store of its own outside the JavaScript heap,
 * which V8 allocates, zeroes, tracks and later frees: in CPU profiles of the engine that was the
 * largest single cost outside the cipher (about 3 us per datagram, a fifth of the engine's time on
 * the WASM core). Hosts whose channel copies what it sends (a W3C RTCDataChannel does) give each
 * datagram back after sending it, and the next sealed datagram is written into it. Hosts that keep
 * or transfer datagrams simply never give them back: every datagram is then a new buffer of its
 * exact length, as before.
 *
 * Only full-size buffers are kept (any later datagram fits in one), at most `capacity` of them,
 * and only buffers this pool issued and has not been given back since: a datagram given back
 * twice, a transferred (detached) one or a foreign buffer is ignored, so a caller's mistake
 * cannot make two datagrams share memory through the pool.
 */
export class DatagramPool {
  private readonly free: ArrayBuffer[] = [];
  /** Full-size buffers out with the host, the only ones `give` takes back. */
  private readonly issued = new WeakSet<ArrayBufferLike>();
  /** Datagrams written into a reused buffer. */
  reused = 0;

  constructor(
    /** Size of a full datagram, the buffer size kept. */
    private readonly bufferBytes: number,
    /** Most buffers kept while nobody uses them. */
    private readonly capacity = 16,
  ) {}

  /**
   * A datagram of `size` bytes: a view of a reused buffer when one is free, else a new buffer of
   * exactly that size. Its contents are unspecified: the caller writes every byte.
   */
  take(size: number): Uint8Array<ArrayBuffer> {
    const reused = size <= this.bufferBytes ? this.free.pop() : undefined;
    if (reused !== undefined) {
      this.issued.add(reused);
      this.reused++;
      return new Uint8Array(reused, 0, size);
    }
    const fresh = new Uint8Array(size);
    if (size === this.bufferBytes) this.issued.add(fresh.buffer);
    return fresh;
  }

  /** Takes back a datagram from `take` that nobody reads any more. True when it will be reused. */
  give(datagram: Uint8Array): boolean {
    const buffer = datagram.buffer;
    if (buffer.byteLength !== this.bufferBytes || !this.issued.delete(buffer)) return false;
    if (this.free.length >= this.capacity) return false;
    this.free.push(buffer as ArrayBuffer);
    return true;
  }

  /** Buffers waiting to be reused. */
  get size(): number {
    return this.free.length;
  }
}
