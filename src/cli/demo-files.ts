/**
 * Files between the demo's peers (the page and `pdu peer`): an offer carrying the SHA-256, then
 * 64 KiB chunks sent unordered with a few outstanding at a time, so progress follows delivery and
 * one lost fragment holds up nothing else. The receiver hashes what arrived and compares.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { MAX_FILE_BYTES, encodeDemoMessage, type DemoMessage } from './demo-protocol.js';

export const CHUNK_BYTES = 64 * 1024;
/** Chunks sent and not yet delivered: enough to keep the pipe full, few enough to show progress. */
const WINDOW = 8;

/**
 * Hex SHA-256 with WebCrypto; pages served over plain HTTP to another machine have no
 * `crypto.subtle` (it needs a secure context), so they hash with noble instead.
 */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const subtle = globalThis.crypto?.subtle;
  if (!subtle) return bytesToHex(sha256(bytes));
  return bytesToHex(new Uint8Array(await subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>)));
}

/** How the caller sends one message (it may time it); resolves when the peer has it. */
export type SendFn = (data: Uint8Array, opts?: { ordered?: boolean; priority?: number }) => Promise<unknown>;

/** Sends `bytes` as a file named `name`; `onProgress` gets the bytes the peer has so far. */
export async function sendFile(send: SendFn, name: string, bytes: Uint8Array, onProgress: (delivered: number, size: number) => void = () => undefined): Promise<{ sha256: string }> {
  if (bytes.byteLength > MAX_FILE_BYTES) throw new RangeError(`files up to ${MAX_FILE_BYTES / 1024 / 1024} MiB only`);
  const digest = await sha256Hex(bytes);
  const id = (Math.random() * 2 ** 32) >>> 0;
  // The offer first, delivered before any chunk, so the receiver knows what the chunks belong to.
  await send(encodeDemoMessage({ kind: 'file-offer', id, name, size: bytes.byteLength, chunkSize: CHUNK_BYTES, sha256: digest }));
  const chunks = Math.ceil(bytes.byteLength / CHUNK_BYTES);
  let next = 0;
  let delivered = 0;
  onProgress(0, bytes.byteLength);
  const lane = async () => {
    while (next < chunks) {
      const index = next++;
      const chunk = bytes.subarray(index * CHUNK_BYTES, (index + 1) * CHUNK_BYTES);
      await send(encodeDemoMessage({ kind: 'file-chunk', id, index, bytes: chunk }), { ordered: false });
      delivered += chunk.byteLength;
      onProgress(delivered, bytes.byteLength);
    }
  };
  await Promise.all(Array.from({ length: WINDOW }, lane));
  return { sha256: digest };
}

export interface ReceivedFile {
  name: string;
  bytes: Uint8Array;
  /** The digest the sender announced, and the one of what arrived. */
  expected: string;
  actual: string;
  ok: boolean;
  /** From the offer to the last chunk, ms. */
  elapsedMs: number;
}

interface Incoming {
  offer: Extract<DemoMessage, { kind: 'file-offer' }>;
  bytes: Uint8Array;
  have: Uint8Array;
  receivedBytes: number;
  startedAt: number;
}

export interface FileReceiverEvents {
  onOffer?(name: string, size: number): void;
  onProgress?(name: string, received: number, size: number): void;
  onComplete?(file: ReceivedFile): void;
}

/** Assembles files from offers and chunks; memory held for incomplete files stays under MAX_FILE_BYTES. */
export class FileReceiver {
  private readonly incoming = new Map<number, Incoming>();
  private heldBytes = 0;

  constructor(private readonly events: FileReceiverEvents) {}

  /** Takes file messages (others are ignored); chunks of unknown files or out of range are dropped. */
  handle(message: DemoMessage): void {
    if (message.kind === 'file-offer') this.offer(message);
    else if (message.kind === 'file-chunk') this.chunk(message);
  }

  private offer(offer: Extract<DemoMessage, { kind: 'file-offer' }>): void {
    if (this.incoming.has(offer.id) || this.heldBytes + offer.size > MAX_FILE_BYTES) return;
    const chunks = Math.ceil(offer.size / offer.chunkSize);
    this.incoming.set(offer.id, { offer, bytes: new Uint8Array(offer.size), have: new Uint8Array(chunks), receivedBytes: 0, startedAt: performance.now() });
    this.heldBytes += offer.size;
    this.events.onOffer?.(offer.name, offer.size);
    if (chunks === 0) void this.finish(offer.id);
  }

  private chunk(chunk: Extract<DemoMessage, { kind: 'file-chunk' }>): void {
    const file = this.incoming.get(chunk.id);
    if (!file || chunk.index >= file.have.length || file.have[chunk.index]) return;
    const start = chunk.index * file.offer.chunkSize;
    const expectedLength = Math.min(file.offer.chunkSize, file.offer.size - start);
    if (chunk.bytes.byteLength !== expectedLength) return;
    file.bytes.set(chunk.bytes, start);
    file.have[chunk.index] = 1;
    file.receivedBytes += expectedLength;
    this.events.onProgress?.(file.offer.name, file.receivedBytes, file.offer.size);
    if (file.receivedBytes === file.offer.size) void this.finish(chunk.id);
  }

  private async finish(id: number): Promise<void> {
    const file = this.incoming.get(id)!;
    this.incoming.delete(id);
    this.heldBytes -= file.offer.size;
    const elapsedMs = performance.now() - file.startedAt;
    const actual = await sha256Hex(file.bytes);
    const { name, sha256: expected } = file.offer;
    this.events.onComplete?.({ name, bytes: file.bytes, expected, actual, ok: actual === expected, elapsedMs });
  }
}
