// The demo page: two peers, watching PDU adapt. This file finds the page's elements, runs the
// connect form and starts a session (session.ts) once two peers are connected.
import { Charts } from './charts.js';
import { ChatPanel } from './chat.js';
import { connectInPage, connectToRoom, type Connection, type Mode } from './connect.js';
import { showCoreStatus } from './core-status.js';
import { FilePanel } from './file-panel.js';
import { ImpairmentControls } from './impairment-controls.js';
import { randomRoom, readPageOptions, shareLink } from './page-options.js';
import { startSession, type Session } from './session.js';
import { StatsTable } from './stats-table.js';
import { SteadyTraffic } from './traffic.js';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

void showCoreStatus($<HTMLOutputElement>('core-status'));

const options = readPageOptions(location);
const connectForm = $<HTMLFormElement>('connect-form');
const roomInput = $<HTMLInputElement>('room');
const connectButton = $<HTMLButtonElement>('connect');
const disconnectButton = $<HTMLButtonElement>('disconnect');
const status = $<HTMLParagraphElement>('connection-status');

const chat = new ChatPanel($('chat-log'), $('chat-form'), $('chat-input'), $('chat-send'));
const files = new FilePanel($('file-form'), $('file-input'), $('file-send'), $('file-progress'), $('file-progress-text'), $('file-results'));
const charts = new Charts($('charts'));
const stats = new StatsTable($('stats-table'));
const traffic = new SteadyTraffic();
let connection: Connection | undefined;
let session: Session | undefined;
/** Cancels a connection attempt still waiting for the other peer. */
let attempt: AbortController | undefined;

const controls = new ImpairmentControls($('impair-form'), (config) => session?.impair(config));

const selectedMode = (): Mode => (new FormData(connectForm).get('mode') as Mode | null) ?? 'page';

function showMode(mode: Mode): void {
  $('room-row').hidden = mode === 'page';
  if (mode !== 'page' && roomInput.value === '') roomInput.value = randomRoom();
  $('impair-scope').textContent =
    mode === 'page'
      ? 'Applied to what both peers send (a symmetric link), between PDU’s engine and the data channel.'
      : 'Applied to what this page sends, between PDU’s engine and the data channel.';
  $('charts-scope').textContent =
    mode === 'page' ? 'What peer A, the sender of chat and files, measures, twice a second.' : 'What this page’s engine measures, twice a second.';
}

function showShare(mode: Mode, room: string): void {
  const share = $('share');
  share.hidden = mode === 'page';
  if (mode === 'page') return;
  const link = $<HTMLAnchorElement>('share-link');
  link.href = link.textContent = shareLink(location, mode, room);
  $('share-cli').hidden = mode !== 'ws';
  $('share-cli-command').textContent = `npm run pdu -- peer --room ${room} --signal ${options.signalUrl}${options.stripes > 1 ? ` --stripes ${options.stripes}` : ''}`;
}

function setStatus(text: string, state: 'idle' | 'connecting' | 'connected' | 'failed'): void {
  status.textContent = text;
  status.dataset.state = state;
}

async function connect(mode: Mode, room: string): Promise<void> {
  connectButton.disabled = true;
  disconnectButton.disabled = false;
  for (const input of connectForm.querySelectorAll('input')) input.disabled = true;
  showShare(mode, room);
  setStatus('Connecting…', 'connecting');
  attempt = new AbortController();
  try {
    const conn =
      mode === 'page'
        ? await connectInPage(options.iceServers)
        : await connectToRoom(mode, room, options.signalUrl, options.iceServers, {
            onWaiting: () => setStatus(`Waiting for the other peer in room ${room}…`, 'connecting'),
            abort: attempt.signal,
            stripes: options.stripes,
          });
    attempt = undefined;
    connection = conn;
    const sas = conn.peers[0]!.channel.sas;
    $('sas').textContent = sas;
    $('sas-row').hidden = false;
    // What the two sides agreed on, which is the smaller of their counts.
    const stripes = conn.peers[0]!.channel.stripeCount;
    const striped = stripes > 1 ? `, striped over ${stripes} peer connections` : '';
    setStatus(mode === 'page' ? 'Connected: peers A and B in this page.' : `Connected to the other peer (this page is the ${conn.role}${striped}).`, 'connected');
    chat.note(mode === 'page' ? 'Lines you send go from peer A to peer B.' : 'Connected. Say hello.');
    session = startSession(conn, {
      chat,
      files,
      charts,
      stats,
      traffic,
      steadyToggle: $('steady'),
      impairment: () => controls.config,
      injected: () => controls.settings,
    });
    conn.onGone((why) => void disconnect(`Disconnected: ${why}.`));
  } catch (err) {
    if (attempt?.signal.aborted) return;
    await disconnect(`Could not connect: ${(err as Error).message}`, 'failed');
  }
}

async function disconnect(message = 'Not connected.', state: 'idle' | 'failed' = 'idle'): Promise<void> {
  attempt?.abort();
  attempt = undefined;
  session?.end();
  session = undefined;
  const conn = connection;
  connection = undefined;
  await conn?.close();
  setStatus(message, state);
  $('sas-row').hidden = true;
  connectButton.disabled = false;
  disconnectButton.disabled = true;
  for (const input of connectForm.querySelectorAll('input')) input.disabled = false;
}

connectForm.addEventListener('change', () => showMode(selectedMode()));
connectForm.addEventListener('submit', (event) => {
  event.preventDefault();
  if (!connectForm.reportValidity()) return;
  void connect(selectedMode(), roomInput.value);
});
disconnectButton.addEventListener('click', () => void disconnect());
addEventListener('pagehide', () => void connection?.close());

connectForm.querySelector<HTMLInputElement>(`input[name="mode"][value="${options.mode}"]`)!.checked = true;
roomInput.value = options.room;
showMode(options.mode);
if (options.autoJoin) void connect(options.mode, options.room);
