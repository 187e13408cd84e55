/**
 * What the demo page and `pdu peer` say to each other over a PduChannel: chat lines, file offers
 * and file chunks, plus filler traffic that keeps the charts moving. One PDU message each, the
 * first byte naming the kind. Everything from the peer is bounds-checked; a malformed message
 * decodes to undefined.
 */

export type DemoMessage =
  | { kind: 'chat'; text: string }
  /** Announces a file before its chunks; `sha256` is the hex digest the receiver checks. */
  | { kind: 'file-offer'; id: number; name: string; size: number; chunkSize: number; sha256: string }
  | { kind: 'file-chunk'; id: number; index: number; bytes: Uint8Array }
  /** Background traffic: its content is meaningless, only its timing matters. */
  | { kind: 'filler'; bytes: Uint8Array };

const KIND = { chat: 1, 'file-offer': 2, 'file-chunk': 3, filler: 4 } as const;

/** Largest file a receiver accepts: it holds the whole file in memory to hash it. */
export const MAX_FILE_BYTES = 256 * 1024 * 1024;
const MAX_CHUNK_BYTES = 1024 * 1024;
const MAX_NAME_CHARS = 255;
const MAX_CHAT_BYTES = 64 * 1024;

export function encodeDemoMessage(message: DemoMessage): Uint8Array {
  switch (message.kind) {
    case 'chat':
      return withKind(KIND.chat, new TextEncoder().encode(message.text));
    case 'file-offer': {
      const { id, name, size, chunkSize, sha256 } = message;
      return withKind(KIND['file-offer'], new TextEncoder().encode(JSON.stringify({ id, name, size, chunkSize, sha256 })));
    }
    case 'file-chunk': {
      const out = new Uint8Array(9 + message.bytes.byteLength);
      out[0] = KIND['file-chunk'];
      const view = new DataView(out.buffer);
      view.setUint32(1, message.id);
      view.setUint32(5, message.index);
      out.set(message.bytes, 9);
      return out;
    }
    case 'filler':
      return withKind(KIND.filler, message.bytes);
  }
}

export function decodeDemoMessage(data: Uint8Array): DemoMessage | undefined {
  const body = data.subarray(1);
  switch (data[0]) {
    case KIND.chat:
      return body.byteLength <= MAX_CHAT_BYTES ? { kind: 'chat', text: new TextDecoder().decode(body) } : undefined;
    case KIND['file-offer']:
      return parseOffer(body);
    case KIND['file-chunk']: {
      if (data.byteLength < 9 || data.byteLength - 9 > MAX_CHUNK_BYTES) return undefined;
      const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
      return { kind: 'file-chunk', id: view.getUint32(1), index: view.getUint32(5), bytes: data.subarray(9) };
    }
    case KIND.filler:
      return { kind: 'filler', bytes: body };
    default:
      return undefined;
  }
}

function parseOffer(body: Uint8Array): DemoMessage | undefined {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder().decode(body));
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const { id, name, size, chunkSize, sha256 } = value as Record<string, unknown>;
  const isInt = (v: unknown, max: number): v is number => Number.isInteger(v) && (v as number) >= 0 && (v as number) <= max;
  if (!isInt(id, 0xffffffff) || !isInt(size, MAX_FILE_BYTES) || !isInt(chunkSize, MAX_CHUNK_BYTES) || chunkSize === 0) return undefined;
  if (typeof name !== 'string' || name.length > MAX_NAME_CHARS || typeof sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(sha256)) return undefined;
  return { kind: 'file-offer', id, name, size, chunkSize, sha256 };
}

function withKind(kind: number, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(1 + body.byteLength);
  out[0] = kind;
  out.set(body, 1);
  return out;
}
