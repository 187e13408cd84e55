/**
 * Message UUIDs recomputed from compact message numbers. Both peers hold the same `uuid` key
 * (from the key schedule), so a fragment carries a 1-4 byte message number instead of 16 UUID
 * bytes, and the receiver still knows the message's UUID:
 *
 *   uuid = first 16 bytes of HMAC-SHA256(uuidKey, direction || u32be(messageNumber)),
 *          with the RFC 9562 version set to 8 and the variant to 0b10.
 *
 * direction is 0x00 for initiator-to-responder and 0x01 for responder-to-initiator. Keyed, so
 * UUIDs are unique across sessions and a relay cannot link them to message numbers.
 */
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';

export const DIRECTION_I2R = 0x00;
export const DIRECTION_R2I = 0x01;

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

export function messageUuid(uuidKey: Uint8Array, direction: number, messageNumber: number): string {
  return uuidFromMac(hmac(sha256, uuidKey, uuidInput(direction, messageNumber)));
}

/** direction || u32be(messageNumber). */
function uuidInput(direction: number, messageNumber: number): Uint8Array {
  const n = messageNumber >>> 0;
  return Uint8Array.of(direction, n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff);
}

/** The UUID string of an HMAC output: its first 16 bytes, version 8, variant 0b10. */
function uuidFromMac(mac: Uint8Array): string {
  const b = mac.subarray(0, 16);
  b[6] = ((b[6] as number) & 0x0f) | 0x80;
  b[8] = ((b[8] as number) & 0x3f) | 0x80;
  let s = '';
  for (let i = 0; i < 16; i++) {
    if (i === 4 || i === 6 || i === 8 || i === 10) s += '-';
    s += HEX[b[i] as number];
  }
  return s;
}

/** Recent UUIDs kept per direction: the fragments of one message usually arrive together. */
const CACHED_PER_DIRECTION = 256;

/**
 * `messageUuid` with a small bounded cache, so a message's fragments pay for one HMAC, not one
 * each (the HMAC costs about as much as opening a quarter of a datagram).
 */
export class MessageUuids {
  /**
   * HMAC keyed once: its inner and outer pads are already hashed, so each UUID clones this state
   * and hashes two blocks instead of four.
   */
  private readonly keyed: ReturnType<typeof hmac.create>;
  private readonly cache = [new Map<number, string>(), new Map<number, string>()];

  constructor(key: Uint8Array) {
    this.keyed = hmac.create(sha256, key);
  }

  get(direction: number, messageNumber: number): string {
    const cache = this.cache[direction] as Map<number, string>;
    let uuid = cache.get(messageNumber);
    if (uuid === undefined) {
      uuid = uuidFromMac(this.keyed.clone().update(uuidInput(direction, messageNumber)).digest());
      if (cache.size >= CACHED_PER_DIRECTION) cache.delete(cache.keys().next().value as number);
      cache.set(messageNumber, uuid);
    }
    return uuid;
  }
}
