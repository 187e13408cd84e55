import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { expect, test } from '@playwright/test';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Starts `npm run demo`'s launcher and resolves with the lines it printed once it is ready. */
function startLauncher(args: string[]): { child: ChildProcess; ready: Promise<string[]> } {
  // PDU_TEST=1: no HMR or file watching, so nothing reloads the pages mid-test.
  const child = spawn(process.execPath, [`${ROOT}node_modules/tsx/dist/cli.mjs`, 'scripts/demo.ts', ...args], {
    cwd: ROOT,
    env: { ...process.env, PDU_TEST: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const ready = new Promise<string[]>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('Ctrl-C')) resolve(out.split('\n'));
    });
    child.stderr!.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.once('exit', (code) => reject(new Error(`launcher exited with ${code}: ${out}`)));
  });
  return { child, ready };
}

test('`npm run demo --host 0.0.0.0` prints the URL and two pages from another address connect through its signaling server', async ({ context }, testInfo) => {
  test.setTimeout(120_000);
  const launcher = startLauncher(['--host', '0.0.0.0', '--port', '5175', '--signal-port', '0']);
  try {
    const lines = await launcher.ready;
    expect(lines[0]).toBe('PDU demo: http://127.0.0.1:5175/');
    // The address another machine would use: not loopback, so not a secure context either.
    const remote = lines.map((l) => /from another machine: (http:\/\/\S+)/.exec(l)?.[1]).find((u) => u !== undefined);
    expect(remote).toMatch(/^http:\/\/10\.77\.0\.\d+:5175\/$/);
    const url = `${remote}?mode=ws&room=two-machines`;
    const [first, second] = [await context.newPage(), await context.newPage()];
    await first.goto(url);
    await expect(first.locator('#connection-status')).toContainText('Waiting for the other peer');
    expect(await first.evaluate(() => isSecureContext)).toBe(false);
    await second.goto(url);
    for (const p of [first, second]) await expect(p.locator('#connection-status')).toHaveAttribute('data-state', 'connected', { timeout: 30_000 });
    await expect(second.locator('#sas')).toHaveText(await first.locator('#sas').innerText());

    // Without crypto.subtle (insecure origin) the hash check still runs.
    const file = randomBytes(1024 * 1024);
    await first.getByLabel('File', { exact: true }).setInputFiles({ name: 'lan.bin', mimeType: 'application/octet-stream', buffer: file });
    await first.getByRole('button', { name: 'Send file' }).click();
    const received = second.locator('#file-results li[data-name="lan.bin"]');
    await expect(received).toHaveAttribute('data-ok', 'true', { timeout: 60_000 });
    await expect(received.locator('code.digest')).toHaveText(createHash('sha256').update(file).digest('hex'));
    const path = testInfo.outputPath('demo-two-machines.png');
    await second.screenshot({ path, fullPage: true });
    await testInfo.attach('demo-two-machines', { path, contentType: 'image/png' });
  } finally {
    launcher.child.kill('SIGTERM');
  }
});
