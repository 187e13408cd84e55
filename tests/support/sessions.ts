// Secure-session fixtures shared by the session tests and bench:crypto.
import { sha256 } from '@noble/hashes/sha2.js';
import { SecureSession, type SessionConfig, type SessionReceive } from '../../src/crypto/index.js';

/** A deterministic randomness source: SHA-256 blocks of (seed, counter). */
export function seededRandom(seed: number): (n: number) => Uint8Array {
  let counter = 0;
  return (n) => {
    const out = new Uint8Array(n);
    for (let offset = 0; offset < n; offset += 32) {
      const block = sha256(new Uint8Array([seed & 255, (seed >> 8) & 255, counter & 255, (counter >> 8) & 255]));
      counter++;
      out.set(block.subarray(0, Math.min(32, n - offset)), offset);
    }
    return out;
  };
}

/** An initiator and a responder; seeded when `seed` is given, else with real randomness. */
export function sessionPair(seed: number | undefined, configA: Partial<SessionConfig> = {}, configB: Partial<SessionConfig> = configA) {
  const random = (offset: number) => (seed === undefined ? {} : { randomBytes: seededRandom(seed + offset) });
  const a = new SecureSession({ role: 'initiator', ...random(0), ...configA });
  const b = new SecureSession({ role: 'responder', ...random(1000), ...configB });
  return { a, b };
}

/** Runs the handshake over a perfect link: HELLOs both ways, then every reply. */
export function handshake(a: SecureSession, b: SecureSession, now = 0): SessionReceive[] {
  const results: SessionReceive[] = [];
  const queue: [SecureSession, Uint8Array][] = [
    [b, a.hello(now)],
    [a, b.hello(now)],
  ];
  for (let item = queue.shift(); item !== undefined; item = queue.shift()) {
    const [to, bytes] = item;
    const result = to.receive(bytes, now);
    results.push(result);
    if ((result.kind === 'handshake' || result.kind === 'dropped') && result.reply) {
      for (const reply of result.reply) queue.push([to === a ? b : a, reply]);
    }
  }
  return results;
}

/** Two sessions that completed the handshake; throws if they did not. */
export function establishedPair(seed: number | undefined, config: Partial<SessionConfig> = {}) {
  const { a, b } = sessionPair(seed, config);
  handshake(a, b);
  if (a.state !== 'established' || b.state !== 'established') throw new Error('handshake did not complete');
  return { a, b };
}
