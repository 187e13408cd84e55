/**
 * Whether the link emulator can run here: it needs Linux, root (network namespaces, TUN devices)
 * and the `ip` and `socat` commands. Callers skip with the one-line reason rather than fail.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

let cached: string | undefined | null = null;

/** Undefined when the emulator can run; otherwise one line saying why not. */
export function netemUnavailableReason(): string | undefined {
  if (cached !== null) return cached;
  cached = check();
  return cached;
}

export class NetemUnavailableError extends Error {
  override readonly name = 'NetemUnavailableError';
}

function check(): string | undefined {
  if (process.platform !== 'linux') return `netem: skipped, needs Linux (this is ${process.platform})`;
  if (process.getuid?.() !== 0) return 'netem: skipped, needs root (network namespaces and TUN devices)';
  const missing = ['ip', 'socat'].filter((cmd) => !hasCommand(cmd));
  if (missing.length > 0) return `netem: skipped, ${missing.join(' and ')} not installed (apt-get install ${missing.map((m) => (m === 'ip' ? 'iproute2' : m)).join(' ')})`;
  if (!existsSync('/dev/net/tun')) return 'netem: skipped, no /dev/net/tun (the kernel has no TUN support here)';
  return undefined;
}

function hasCommand(cmd: string): boolean {
  try {
    execFileSync(cmd, ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
