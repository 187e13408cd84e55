import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { PduChannel } from '../../src/index.node.js';
import { sendFile } from '../../src/cli/demo-files.js';
import { decodeDemoMessage, encodeDemoMessage } from '../../src/cli/demo-protocol.js';
import { peerMain } from '../../src/cli/peer.js';
import { createWeriftPeer } from '../../src/node/werift-peer.js';
import { startSignalingServer } from '../../src/signaling/server.js';
import { connectWebSocketSignaling, negotiate, type NegotiablePeer, type WebSocketConstructor } from '../../src/signaling/index.js';

const cleanup: Array<() => unknown> = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

/** An async iterable of lines the test pushes into, like a terminal the test types on. */
function typedLines(): { lines: AsyncIterable<string>; type(line: string): void } {
  const queue: string[] = [];
  let wake: (() => void) | undefined;
  return {
    type(line) {
      queue.push(line);
      wake?.();
    },
    lines: {
      async *[Symbol.asyncIterator]() {
        for (;;) {
          while (queue.length > 0) yield queue.shift()!;
          await new Promise<void>((resolve) => (wake = resolve));
        }
      },
    },
  };
}

/** Resolves with the first printed line that matches. */
function waitForLine(printed: string[], pattern: RegExp, timeoutMs = 30_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const poll = setInterval(() => {
      const line = printed.find((l) => pattern.test(l));
      if (line !== undefined || Date.now() - started > timeoutMs) {
        clearInterval(poll);
        if (line !== undefined) resolve(line);
        else reject(new Error(`no line matching ${pattern} in: ${printed.join(' | ')}`));
      }
    }, 20);
  });
}

/**
 * `pdu peer` in room `room` with `extraArgs`, and a werift peer with PduChannel (as an
 * application would write it) joining it with `options`; resolves once both are connected.
 */
async function cliAndApp(room: string, extraArgs: string[], options: Parameters<typeof PduChannel.open>[1] = {}) {
  const server = await startSignalingServer();
  cleanup.push(() => server.close());
  const printed: string[] = [];
  const terminal = typedLines();
  const leave = new AbortController();
  const cli = peerMain(['--room', room, '--signal', server.url, ...extraArgs], { input: terminal.lines, print: (l) => printed.push(l), signal: leave.signal });
  cleanup.push(async () => {
    leave.abort();
    await cli;
  });
  await waitForLine(printed, /waiting for the other peer/);

  const pc = await createWeriftPeer();
  cleanup.push(() => pc.close());
  const signaling = connectWebSocketSignaling(server.url, room, { WebSocket: WebSocket as unknown as WebSocketConstructor });
  cleanup.push(() => signaling.close());
  await signaling.ready;
  const opening = PduChannel.open(pc, options);
  expect(await negotiate(pc as unknown as NegotiablePeer, signaling)).toBe('initiator');
  const ch = await opening;
  cleanup.push(() => ch.close());
  const connected = await waitForLine(printed, /^connected as responder[.,]/);
  expect(connected).toContain(`SAS: ${ch.sas}`);
  return { ch, printed, terminal, leave, cli, connected };
}

describe('pdu peer', () => {
  it('joins a room through the signaling server and chats and receives a file with a werift peer', async () => {
    const { ch, printed, terminal, leave, cli } = await cliAndApp('cli-test', []);

    const chat = new Promise<string>((resolve) =>
      ch.on('message', ({ data }) => {
        const message = decodeDemoMessage(data);
        if (message?.kind === 'chat') resolve(message.text);
      }),
    );
    terminal.type('hello from the command line');
    expect(await chat).toBe('hello from the command line');

    await ch.send(encodeDemoMessage({ kind: 'chat', text: 'hello from werift' }));
    await waitForLine(printed, /^peer: hello from werift$/);

    const file = Uint8Array.from({ length: 300_000 }, (_, i) => (i * 31) & 0xff);
    await sendFile((data, opts) => ch.send(data, opts), 'pattern.bin', file);
    await waitForLine(printed, /^received pattern\.bin: 300000 bytes in .* SHA-256 matches$/);

    leave.abort();
    expect(await cli).toBe(0);
  }, 90_000);

  it('stripes over the peer connections PDU negotiates with an application asking for the same', async () => {
    const made: unknown[] = [];
    const createPeer = async () => made[made.push(await createWeriftPeer()) - 1];
    const { ch, printed, terminal, leave, cli, connected } = await cliAndApp('cli-stripes', ['--stripes', '3'], { stripes: { count: 3, createPeer } });
    expect(connected).toContain('striped over 3 peer connections');
    expect(made).toHaveLength(2);
    const chat = new Promise<string>((resolve) => ch.on('message', ({ data }) => resolve((decodeDemoMessage(data) as { text: string }).text)));
    terminal.type('over three connections');
    expect(await chat).toBe('over three connections');
    await ch.send(encodeDemoMessage({ kind: 'chat', text: 'back over three' }));
    await waitForLine(printed, /^peer: back over three$/);
    leave.abort();
    expect(await cli).toBe(0);
  }, 90_000);

  it('refuses a missing room with usage and exit code 2', async () => {
    const errors: string[] = [];
    const write = process.stderr.write;
    process.stderr.write = ((chunk: string) => errors.push(chunk) > 0) as typeof process.stderr.write;
    try {
      expect(await peerMain(['--signal', 'ws://127.0.0.1:1'], { input: typedLines().lines, print: () => undefined })).toBe(2);
    } finally {
      process.stderr.write = write;
    }
    expect(errors.join('')).toMatch(/--room NAME is required/);
  });
});
