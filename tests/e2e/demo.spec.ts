import { createHash, randomBytes } from 'node:crypto';
import { expect, test, type Page, type TestInfo } from '@playwright/test';
import { DEV_URL } from '../../playwright.config.js';
import { peerMain } from '../../src/cli/peer.js';
import { startSignalingServer } from '../../src/signaling/server.js';

/** Full-page screenshot kept with the test's artifacts and attached to its report. */
async function screenshot(page: Page, testInfo: TestInfo, name: string): Promise<void> {
  const path = testInfo.outputPath(`${name}.png`);
  await page.screenshot({ path, fullPage: true });
  await testInfo.attach(name, { path, contentType: 'image/png' });
}

/** Points the loss chart has drawn so far. */
const chartPoints = async (page: Page, id: string) => Number(await page.locator(`#chart-${id}`).getAttribute('data-points'));

async function connectInPage(page: Page): Promise<void> {
  await page.goto(DEV_URL);
  await page.getByLabel('Both peers in this page').check();
  await page.getByRole('button', { name: 'Connect', exact: true }).click();
  await expect(page.locator('#connection-status')).toHaveAttribute('data-state', 'connected', { timeout: 30_000 });
}

/** The value of a stats-table row for one peer column (0 is the first peer). */
async function statsCell(page: Page, row: string, column = 0): Promise<string> {
  return page.locator('#stats-table tbody tr', { has: page.locator('th', { hasText: row }) }).locator('td').nth(column).innerText();
}

test('one page: two peers connect, show their SAS, chat, and the charts and stats update', async ({ page }, testInfo) => {
  page.on('pageerror', (e) => console.log('[pageerror]', e.message));
  await connectInPage(page);
  await expect(page.locator('#core-status')).toHaveText(/wasm|reference/);
  await expect(page.locator('#sas')).toHaveText(/\S+/);

  await page.getByRole('textbox', { name: 'Message' }).fill('hello from A');
  await page.getByRole('button', { name: 'Send', exact: true }).click();
  await expect(page.locator('#chat-log')).toContainText('peer B got: hello from A');
  await expect(page.locator('#chat-log li.delivered')).toHaveCount(1);

  await page.getByLabel('Keep a steady stream going').check();
  const before = await chartPoints(page, 'latency');
  await expect.poll(() => chartPoints(page, 'latency'), { timeout: 15_000 }).toBeGreaterThanOrEqual(before + 6);
  for (const id of ['rtt', 'loss', 'bandwidth', 'severity', 'fragment', 'retransmissions']) {
    expect(await chartPoints(page, id)).toBeGreaterThanOrEqual(before + 6);
  }
  await expect.poll(() => statsCell(page, 'messages sent / delivered')).not.toMatch(/^0 \//);
  expect(await statsCell(page, 'state')).toBe('established');
  expect(await statsCell(page, 'state', 1)).toBe('established');
  await screenshot(page, testInfo, 'demo-one-page');
});

test('one page: a 5 MiB file under 5% injected loss arrives with a matching SHA-256', async ({ page }, testInfo) => {
  test.setTimeout(600_000);
  page.on('pageerror', (e) => console.log('[pageerror]', e.message));
  await connectInPage(page);
  await page.getByLabel(/^Loss/).fill('5');
  await expect(page.locator('#loss-value')).toHaveText('5 %');

  const file = randomBytes(5 * 1024 * 1024);
  const expected = createHash('sha256').update(file).digest('hex');
  await page.getByLabel('File', { exact: true }).setInputFiles({ name: 'random-5MiB.bin', mimeType: 'application/octet-stream', buffer: file });
  const started = Date.now();
  await page.getByRole('button', { name: 'Send file' }).click();
  await expect(page.locator('#file-progress-text')).toContainText('sending random-5MiB.bin');
  const received = page.locator('#file-results li[data-name="random-5MiB.bin"]');
  await expect(received).toHaveCount(1, { timeout: 540_000 });
  const seconds = (Date.now() - started) / 1000;
  await expect(received).toHaveAttribute('data-ok', 'true');
  await expect(received.locator('code.digest')).toHaveText(expected);
  await expect(page.locator('#file-progress')).toHaveJSProperty('value', 1);

  // PDU saw the loss and recovered from it.
  const retransmitted = Number((await statsCell(page, 'retransmitted: predictive')).replace(/,/g, '')) + Number((await statsCell(page, 'retransmitted: timeout')).replace(/,/g, ''));
  expect(retransmitted).toBeGreaterThan(0);
  console.log(`5 MiB under 5% injected loss (both directions): ${seconds.toFixed(1)} s, ${((file.length * 8) / seconds / 1e6).toFixed(2)} Mbit/s, ${retransmitted} fragments retransmitted`);
  testInfo.annotations.push({ type: 'transfer', description: `5 MiB in ${seconds.toFixed(1)} s under 5% loss` });
  await screenshot(page, testInfo, 'demo-file-5pct-loss');
});

test('two pages of one browser, signaling over BroadcastChannel: same SAS, chat both ways, a file, charts on both', async ({ context }, testInfo) => {
  test.setTimeout(180_000);
  const room = `tabs-${Date.now().toString(36)}`;
  const first = await context.newPage();
  const second = await context.newPage();
  for (const p of [first, second]) p.on('pageerror', (e) => console.log('[pageerror]', e.message));
  await first.goto(`${DEV_URL}/?mode=tabs&room=${room}`);
  await expect(first.locator('#connection-status')).toContainText(`Waiting for the other peer in room ${room}`);
  await expect(first.locator('#share-link')).toHaveText(`${DEV_URL}/?mode=tabs&room=${room}`);
  // The page that loads second starts the connection.
  await second.goto(`${DEV_URL}/?mode=tabs&room=${room}`);
  for (const p of [first, second]) await expect(p.locator('#connection-status')).toHaveAttribute('data-state', 'connected', { timeout: 30_000 });
  await expect(second.locator('#connection-status')).toContainText('initiator');
  await expect(first.locator('#connection-status')).toContainText('responder');
  const sas = await first.locator('#sas').innerText();
  expect(sas).toMatch(/\S+/);
  await expect(second.locator('#sas')).toHaveText(sas);

  await first.getByRole('textbox', { name: 'Message' }).fill('hello from the first tab');
  await first.getByRole('button', { name: 'Send', exact: true }).click();
  await expect(second.locator('#chat-log')).toContainText('peer: hello from the first tab');
  await second.getByRole('textbox', { name: 'Message' }).fill('and back from the second');
  await second.getByRole('button', { name: 'Send', exact: true }).click();
  await expect(first.locator('#chat-log')).toContainText('peer: and back from the second');

  const file = randomBytes(300_000);
  await second.getByLabel('File', { exact: true }).setInputFiles({ name: 'tabs.bin', mimeType: 'application/octet-stream', buffer: file });
  await second.getByRole('button', { name: 'Send file' }).click();
  const received = first.locator('#file-results li[data-name="tabs.bin"]');
  await expect(received).toHaveAttribute('data-ok', 'true', { timeout: 60_000 });
  await expect(received.locator('code.digest')).toHaveText(createHash('sha256').update(file).digest('hex'));

  for (const p of [first, second]) await expect.poll(() => chartPoints(p, 'rtt'), { timeout: 10_000 }).toBeGreaterThanOrEqual(4);
  await screenshot(first, testInfo, 'demo-tab-1');
  await screenshot(second, testInfo, 'demo-tab-2');

  // Leaving is noticed on the other side.
  await second.getByRole('button', { name: 'Disconnect' }).click();
  await expect(first.locator('#connection-status')).toContainText('Disconnected', { timeout: 30_000 });
});

test('a phone-sized screen: the key controls are visible and nothing overflows sideways', async ({ browser }, testInfo) => {
  const context = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  const page = await context.newPage();
  try {
    await connectInPage(page);
    const controls = [
      page.getByRole('button', { name: 'Connect', exact: true }),
      page.getByLabel('Both peers in this page'),
      page.getByLabel(/^Loss/),
      page.getByLabel(/^Rate cap/),
      page.getByRole('textbox', { name: 'Message' }),
      page.getByRole('button', { name: 'Send file' }),
      page.locator('#sas'),
      page.locator('#chart-rtt canvas'),
      page.locator('#stats-table'),
    ];
    for (const control of controls) {
      await control.scrollIntoViewIfNeeded();
      await expect(control).toBeVisible();
      const box = (await control.boundingBox())!;
      expect(box.x).toBeGreaterThanOrEqual(0);
      expect(box.x + box.width).toBeLessThanOrEqual(390);
    }
    // Sliders stay wide enough to use with a thumb.
    expect((await page.getByLabel(/^Loss/).boundingBox())!.width).toBeGreaterThan(250);
    await expect.poll(() => chartPoints(page, 'rtt'), { timeout: 10_000 }).toBeGreaterThanOrEqual(2);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow).toBe(0);
    await screenshot(page, testInfo, 'demo-phone');
    await page.evaluate(() => window.scrollTo(0, 0));
    const top = testInfo.outputPath('demo-phone-top.png');
    await page.screenshot({ path: top });
    await testInfo.attach('demo-phone-top', { path: top, contentType: 'image/png' });
  } finally {
    await context.close();
  }
});

// Also striped (?stripes=3 and --stripes 3): PDU negotiates the two other connections itself.
for (const stripes of [1, 3]) {
  test(`the page and \`pdu peer\` (Node, werift) meet in a room on the WebSocket signaling server${stripes > 1 ? `, striped over ${stripes} connections` : ''}`, async ({ page }, testInfo) => {
    test.setTimeout(120_000);
    page.on('pageerror', (e) => console.log('[pageerror]', e.message));
    const server = await startSignalingServer();
    const printed: string[] = [];
    const leave = new AbortController();
    let typed: ((line: string) => void) | undefined;
    const input: AsyncIterable<string> = {
      async *[Symbol.asyncIterator]() {
        for (;;) yield await new Promise<string>((resolve) => (typed = resolve));
      },
    };
    const striping = stripes > 1 ? ['--stripes', String(stripes)] : [];
    const cli = peerMain(['--room', 'ws-room', '--signal', server.url, ...striping], { input, print: (line) => printed.push(line), signal: leave.signal });
    try {
      await page.goto(`${DEV_URL}/?mode=ws&room=ws-room&signal=${encodeURIComponent(server.url)}${stripes > 1 ? `&stripes=${stripes}` : ''}`);
      await expect(page.locator('#connection-status')).toHaveAttribute('data-state', 'connected', { timeout: 30_000 });
      await expect(page.locator('#share-cli-command')).toHaveText(`npm run pdu -- peer --room ws-room --signal ${server.url}${stripes > 1 ? ` --stripes ${stripes}` : ''}`);
      if (stripes > 1) {
        await expect(page.locator('#connection-status')).toContainText(`striped over ${stripes} peer connections`);
        await expect.poll(() => printed.find((l) => l.startsWith('connected as'))).toContain(`striped over ${stripes} peer connections`);
      }
      const sas = await page.locator('#sas').innerText();
      await expect.poll(() => printed.find((l) => l.startsWith('connected as'))).toContain(`SAS: ${sas}`);

      await page.getByRole('textbox', { name: 'Message' }).fill('hello, Node');
      await page.getByRole('button', { name: 'Send', exact: true }).click();
      await expect.poll(() => printed).toContain('peer: hello, Node');
      await expect.poll(() => typed !== undefined).toBe(true);
      typed!('hello, browser');
      await expect(page.locator('#chat-log')).toContainText('peer: hello, browser');

      const file = randomBytes(1024 * 1024);
      await page.getByLabel('File', { exact: true }).setInputFiles({ name: 'to-node.bin', mimeType: 'application/octet-stream', buffer: file });
      await page.getByRole('button', { name: 'Send file' }).click();
      await expect.poll(() => printed.find((l) => l.startsWith('received to-node.bin')), { timeout: 60_000 }).toMatch(/1048576 bytes .* SHA-256 matches$/);
      if (stripes === 1) await screenshot(page, testInfo, 'demo-with-node-peer');
    } finally {
      leave.abort();
      expect(await cli).toBe(0);
      await server.close();
    }
  });
}
