const WRAP = 2 ** 32;
const MAX_WIRE_DEADLINE_AHEAD_MS = 2 ** 30;
/** Probes remembered for the peer's clock offset: enough to outlast a few queued ones. */
const PEER_SAMPLES = 8;

/**
 * Our session clock: ms since the first time the engine was given. PROBE send times and DATA
 * deadlines are written on it, so a peer (and, for deadlines in the cleartext header, a relay)
 * learns the session's age and nothing of our real clock.
 */
export class SessionClock {
  private origin: number | undefined;

  start(now: number): void {
    if (this.origin === undefined && Number.isFinite(now)) this.origin = now;
  }

  local(now: number): number {
    return now - (this.origin ?? 0);
  }

  /**
   * A deadline as DATA carries it: whole ms on the session clock, modulo 2^32; undefined (no D
   * flag) when it is further than 2^30 ms (12 days) away, beyond what the receiver can place
   * unambiguously around its present (it unwraps within 2^31 ms either way).
   */
  toWire(deadline: number, now: number): number | undefined {
    if (!(deadline - now < MAX_WIRE_DEADLINE_AHEAD_MS)) return undefined;
    return Math.floor(Math.max(0, this.local(deadline))) % WRAP;
  }
}

/**
 * The peer's session clock, seen from ours through its PROBEs: the least (arrival - send time)
 * over recent probes is the offset between the clocks plus the fastest one-way delay, so a
 * deadline the peer wrote lands on our clock once that delay is taken back out. Queueing on the
 * way only makes one sample larger, never the least one smaller.
 */
export class PeerClock {
  private readonly samples: number[] = [];
  private next = 0;

  observe(peerSendTime: number, now: number): void {
    const sample = now - peerSendTime;
    if (!Number.isFinite(sample)) return;
    if (this.samples.length < PEER_SAMPLES) this.samples.push(sample);
    else this.samples[this.next] = sample;
    this.next = (this.next + 1) % PEER_SAMPLES;
  }

  /**
   * Our time for a deadline the peer wrote (`wire`, modulo 2^32), given our estimate of the
   * fastest one-way delay; undefined before the first probe.
   */
  localDeadline(wire: number, now: number, oneWayMs: number): number | undefined {
    if (this.samples.length === 0) return undefined;
    const offset = Math.min(...this.samples);
    // The deadline is near the peer's present: unwrap it around that.
    const peerNow = now - offset;
    const full = wire + WRAP * Math.round((peerNow - wire) / WRAP);
    return full + offset - oneWayMs;
  }
}
