// One connected session: wires the peers on this page to the chat, file, chart, stats and
// impairment panels, and unwires them when it ends.
import type { SendFn } from '../src/cli/demo-files.js';
import { decodeDemoMessage, encodeDemoMessage } from '../src/cli/demo-protocol.js';
import type { ImpairmentConfig } from '../src/transport/impaired-channel.js';
import type { Charts } from './charts.js';
import type { ChatPanel } from './chat.js';
import type { Connection } from './connect.js';
import type { FilePanel } from './file-panel.js';
import { Metrics, type InjectedImpairment } from './metrics.js';
import type { StatsTable } from './stats-table.js';
import type { SteadyTraffic } from './traffic.js';

export interface Panels {
  chat: ChatPanel;
  files: FilePanel;
  charts: Charts;
  stats: StatsTable;
  traffic: SteadyTraffic;
  steadyToggle: HTMLInputElement;
  /** The impairment set on the page right now. */
  impairment(): ImpairmentConfig | null;
  injected(): InjectedImpairment;
}

export interface Session {
  impair(config: ImpairmentConfig | null): void;
  end(): void;
}

export function startSession(conn: Connection, panels: Panels): Session {
  const sender = conn.peers[0]!;
  const bothHere = conn.peers.length > 1;
  const metrics = new Metrics(panels.injected);
  const unsubscribe: Array<() => void> = [];

  // Every send from this page is timed from `send` to the peer having the whole message.
  const send: SendFn = async (data, opts) => {
    const started = performance.now();
    await sender.channel.send(data, opts);
    metrics.recordLatency(performance.now() - started);
  };

  panels.stats.reset(conn.peers.map((p) => p.name));
  conn.peers.forEach((peer, column) => {
    const files = panels.files.receiverFor(peer.name);
    unsubscribe.push(
      peer.channel.on('message', ({ data }) => {
        const message = decodeDemoMessage(data);
        if (message?.kind === 'chat') panels.chat.show(bothHere ? `${peer.name} got` : 'peer', message.text);
        else if (message) files.handle(message);
      }),
      peer.channel.on('stats', (stats) => {
        panels.stats.update(column, stats);
        if (peer !== sender) return;
        metrics.add(stats);
        panels.charts.update(metrics.series);
      }),
    );
  });

  panels.chat.enable(async (text) => {
    const line = panels.chat.show(sender.name, text);
    await send(encodeDemoMessage({ kind: 'chat', text }), { priority: 1 });
    line.classList.add('delivered');
  });
  panels.files.enable(send);

  const impair = (config: ImpairmentConfig | null) => {
    for (const { channel } of conn.peers) channel.impair(config);
  };
  impair(panels.impairment());

  const steady = () => (panels.steadyToggle.checked ? panels.traffic.start(send) : panels.traffic.stop());
  panels.steadyToggle.addEventListener('change', steady);
  steady();

  return {
    impair,
    end() {
      panels.traffic.stop();
      panels.steadyToggle.removeEventListener('change', steady);
      panels.chat.disable();
      panels.files.disable();
      for (const off of unsubscribe) off();
    },
  };
}
