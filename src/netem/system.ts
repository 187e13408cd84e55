/**
 * Synchronous system calls for setup and teardown. Teardown must also run from a process 'exit'
 * handler, where nothing asynchronous completes, so it is built from these blocking calls.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** Runs `ip`; throws with its stderr on failure. `input` feeds `ip -batch -`. */
export function ip(args: readonly string[], input?: string): string {
  try {
    return execFileSync('ip', args, { input, stdio: ['pipe', 'pipe', 'pipe'] }).toString();
  } catch (err) {
    const stderr = (err as { stderr?: Buffer }).stderr?.toString().trim();
    throw new Error(`ip ${args.join(' ')} failed${stderr ? `: ${stderr}` : ''}`);
  }
}

/** Like ip(), but a failure is ignored: teardown goes on with the next step. */
export function ipQuiet(args: readonly string[]): string {
  try {
    return ip(args);
  } catch {
    return '';
  }
}

/** Whether a process exists and has not exited yet (a zombie has closed its files: it counts as gone). */
export function isRunning(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 3, after the parenthesised command name (which may itself contain spaces).
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** SIGKILLs each process and blocks until all are gone or `timeoutMs` passed; returns those still running. */
export function killAndWait(pids: readonly number[], timeoutMs = 2000): number[] {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
  const sleeper = new Int32Array(new SharedArrayBuffer(4));
  const end = Date.now() + timeoutMs;
  let left = pids.filter(isRunning);
  while (left.length > 0 && Date.now() < end) {
    Atomics.wait(sleeper, 0, 0, 5);
    left = left.filter(isRunning);
  }
  return left;
}
