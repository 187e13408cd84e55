/**
 * The handshake transcript: everything both peers must agree on, hashed into the key schedule.
 *
 *   transcript = lp(HELLO_i) || lp(HELLO_r) || lp(REVEAL_i) || lp(REVEAL_r) || lp(FP_i) || lp(FP_r)
 *
 * where lp(x) = u16 big-endian length || x, and FP is a normalised DTLS fingerprint (empty when
 * fingerprints are not bound). Length prefixes keep the concatenation unambiguous.
 */
import { sha256 } from '@noble/hashes/sha2.js';

export interface TranscriptParts {
  initiatorHello: Uint8Array;
  responderHello: Uint8Array;
  initiatorReveal: Uint8Array;
  responderReveal: Uint8Array;
  /** Normalised fingerprints, or empty arrays. */
  initiatorFingerprint: Uint8Array;
  responderFingerprint: Uint8Array;
}

/**
 * Canonical bytes of an SDP `a=fingerprint` value ("sha-256 AB:CD:..." or the whole attribute
 * line): hash name lower-cased, hex upper-cased, single spaces, so both peers serialise the same
 * fingerprint identically whatever their SDP library printed.
 */
export function normalizeFingerprint(fingerprint: string): Uint8Array {
  const value = fingerprint.trim().replace(/^a=fingerprint:/i, '');
  const [hash = '', hex = ''] = value.split(/\s+/);
  return new TextEncoder().encode(`${hash.toLowerCase()} ${hex.toUpperCase()}`);
}

export function transcriptBytes(parts: TranscriptParts): Uint8Array {
  const fields = [
    parts.initiatorHello,
    parts.responderHello,
    parts.initiatorReveal,
    parts.responderReveal,
    parts.initiatorFingerprint,
    parts.responderFingerprint,
  ];
  const out = new Uint8Array(fields.reduce((sum, f) => sum + 2 + f.length, 0));
  let offset = 0;
  for (const field of fields) {
    out[offset] = field.length >>> 8;
    out[offset + 1] = field.length & 0xff;
    out.set(field, offset + 2);
    offset += 2 + field.length;
  }
  return out;
}

export function transcriptHash(parts: TranscriptParts): Uint8Array {
  return sha256(transcriptBytes(parts));
}
