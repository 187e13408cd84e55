/**
 * Short authentication string, as ZRTP's "B32" rendering (RFC 6189 §5.1.6): the leftmost 20 bits
 * of a hash of the key exchange, as 4 characters of the z-base-32 alphabet, chosen to be easy to
 * read aloud. Both users compare it over a channel they trust (voice, video, in person); a man in
 * the middle of the signaling makes the two sides see different strings, except with
 * probability 2^-20, because neither side can choose its key after seeing the other's.
 */
const Z_BASE_32 = 'ybndrfg8ejkmcpqxot1uwisza345h769';

/** `characters` z-base-32 characters from the leftmost 5 * characters bits of `bytes`. */
export function zBase32(bytes: Uint8Array, characters: number): string {
  let out = '';
  for (let i = 0; i < characters; i++) {
    const bit = i * 5;
    const byte = bit >>> 3;
    const word = (((bytes[byte] as number) << 8) | (bytes[byte + 1] ?? 0)) >>> 0;
    out += Z_BASE_32[(word >>> (11 - (bit & 7))) & 31];
  }
  return out;
}

/** The 4-character SAS users compare. */
export function shortAuthenticationString(sasBytes: Uint8Array): string {
  return zBase32(sasBytes, 4);
}

/**
 * A longer rendering of the same hash (100 bits, five groups of four) for out-of-band checks
 * where reading more is acceptable, such as comparing printed or pasted values.
 */
export function sasFingerprint(sasBytes: Uint8Array): string {
  return (zBase32(sasBytes, 20).match(/.{4}/g) as string[]).join(' ');
}
