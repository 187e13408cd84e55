/**
 * HKDF-SHA256 key schedule (RFC 5869), shaped like TLS 1.3 / QUIC:
 *
 *   PRK          = HKDF-Extract(salt = SHA-256(transcript), IKM = X25519 secret [|| PSK])
 *   secret_i2r_0 = Expand(PRK, "pdu v1 i2r", 32)      secret_r2i_0 = Expand(PRK, "pdu v1 r2i", 32)
 *   key_e        = Expand(secret_e, "pdu v1 key", 32) iv_e = Expand(secret_e, "pdu v1 iv", 12)
 *   secret_e+1   = Expand(secret_e, "pdu v1 ku", 32)
 *   finished_i/r = Expand(PRK, "pdu v1 i finished" / "pdu v1 r finished", 32)
 *   sas          = Expand(PRK, "pdu v1 sas", 32)       uuid = Expand(PRK, "pdu v1 uuid", 32)
 *
 * The transcript is the salt, so anything a man in the middle changes in the handshake (keys,
 * randoms, flags, versions, fingerprints) changes every derived key.
 */
import { expand, extract } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import {
  LABEL_FINISHED_I,
  LABEL_FINISHED_R,
  LABEL_I2R,
  LABEL_IV,
  LABEL_KEY,
  LABEL_KEY_UPDATE,
  LABEL_R2I,
  LABEL_SAS,
  LABEL_UUID,
} from './labels.js';

export const KEY_LENGTH = 32;
export const IV_LENGTH = 12;

/** Everything the handshake yields. */
export interface HandshakeSecrets {
  /** Epoch-0 traffic secret, initiator to responder. */
  i2r: Uint8Array;
  /** Epoch-0 traffic secret, responder to initiator. */
  r2i: Uint8Array;
  finishedI: Uint8Array;
  finishedR: Uint8Array;
  sas: Uint8Array;
  uuid: Uint8Array;
}

/** One direction's keys for one epoch. */
export interface EpochKeys {
  epoch: number;
  key: Uint8Array;
  iv: Uint8Array;
  /** Kept to derive the next epoch; wiped with the keys. */
  secret: Uint8Array;
}

export function deriveHandshakeSecrets(
  sharedSecret: Uint8Array,
  psk: Uint8Array | undefined,
  transcriptHash: Uint8Array,
): HandshakeSecrets {
  const ikm = new Uint8Array(sharedSecret.length + (psk?.length ?? 0));
  ikm.set(sharedSecret);
  if (psk !== undefined) ikm.set(psk, sharedSecret.length);
  const prk = extract(sha256, ikm, transcriptHash);
  ikm.fill(0);
  const secrets: HandshakeSecrets = {
    i2r: expand(sha256, prk, LABEL_I2R, KEY_LENGTH),
    r2i: expand(sha256, prk, LABEL_R2I, KEY_LENGTH),
    finishedI: expand(sha256, prk, LABEL_FINISHED_I, KEY_LENGTH),
    finishedR: expand(sha256, prk, LABEL_FINISHED_R, KEY_LENGTH),
    sas: expand(sha256, prk, LABEL_SAS, 32),
    uuid: expand(sha256, prk, LABEL_UUID, KEY_LENGTH),
  };
  prk.fill(0);
  return secrets;
}

export function epochKeys(secret: Uint8Array, epoch: number): EpochKeys {
  return {
    epoch,
    secret,
    key: expand(sha256, secret, LABEL_KEY, KEY_LENGTH),
    iv: expand(sha256, secret, LABEL_IV, IV_LENGTH),
  };
}

/** Keys of the epoch after `keys`: one-way, so old epochs stay safe if new keys leak. */
export function nextEpochKeys(keys: EpochKeys): EpochKeys {
  return epochKeys(expand(sha256, keys.secret, LABEL_KEY_UPDATE, KEY_LENGTH), keys.epoch + 1);
}

/** Best-effort erasure of a discarded epoch (JavaScript cannot promise no copies remain). */
export function wipeEpochKeys(keys: EpochKeys): void {
  keys.key.fill(0);
  keys.iv.fill(0);
  keys.secret.fill(0);
}
