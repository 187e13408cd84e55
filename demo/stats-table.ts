// The engine stats table: one row per measure, one column per peer on this page.
import type { EngineStats } from '../src/engine/index.js';

const ms = (v: number) => `${v.toFixed(1)} ms`;
const bytes = (v: number) => (v >= 1e6 ? `${(v / 1e6).toFixed(2)} MB` : v >= 1e3 ? `${(v / 1e3).toFixed(1)} kB` : `${v} B`);
const mbit = (v: number) => `${(v / 1e6).toFixed(2)} Mbit/s`;
const pct = (v: number) => `${(v * 100).toFixed(1)} %`;
const count = (v: number) => v.toLocaleString('en');

const ROWS: Array<[label: string, value: (s: EngineStats) => string]> = [
  ['state', (s) => s.state],
  ['role', (s) => s.role],
  ['loss predictor', (s) => s.recovery.predictor],
  ['RTT smoothed / min', (s) => `${ms(s.rtt.srtt)} / ${ms(s.rtt.minRtt)}`],
  ['jitter', (s) => ms(s.rtt.jitter)],
  ['loss measured', (s) => pct(s.congestion.report.packetLoss)],
  ['bandwidth estimate', (s) => mbit(s.congestion.report.bandwidth)],
  ['severity', (s) => s.congestion.report.severity.toFixed(2)],
  ['congestion control', (s) => `${s.congestion.controller} (${s.congestion.mode})`],
  ['window / in flight', (s) => `${bytes(s.congestion.cwndBytes)} / ${bytes(s.congestion.bytesInFlight)}`],
  ['pacing rate', (s) => mbit(s.congestion.pacingRate)],
  ['queue below PDU', (s) => bytes(s.congestion.report.queueBytes)],
  ['fragment size', (s) => `${s.sharding.lastFragmentSize} B${s.sharding.lastSharded ? ' (sharded)' : ''}`],
  ['messages sharded / standard', (s) => `${count(s.sharding.messagesSharded)} / ${count(s.sharding.messagesStandard)}`],
  ['messages sent / delivered', (s) => `${count(s.messages.sent)} / ${count(s.messages.delivered)}`],
  ['messages received / expired', (s) => `${count(s.messages.received)} / ${count(s.messages.expired)}`],
  ['retransmitted: predictive', (s) => count(s.recovery.retransmissions.predictive)],
  ['retransmitted: timeout', (s) => count(s.recovery.retransmissions.timeout)],
  ['retransmitted: spurious', (s) => count(s.recovery.retransmissions.spurious)],
  ['NACKs sent / received', (s) => `${count(s.recovery.nacksSent)} / ${count(s.recovery.nacksReceived)}`],
  ['datagrams sent / received', (s) => `${count(s.traffic.datagramsSent)} / ${count(s.traffic.datagramsReceived)}`],
  ['wire bytes sent / received', (s) => `${bytes(s.traffic.wireBytesSent)} / ${bytes(s.traffic.wireBytesReceived)}`],
  ['payload resent', (s) => bytes(s.traffic.payloadBytesResent)],
  ['reassembly memory', (s) => bytes(s.memory.reassemblyBytes)],
  ['dropped input', (s) => count(Object.values(s.dropped.session).reduce((a, b) => a + b, 0) + s.dropped.invalidFragments)],
];

export class StatsTable {
  private readonly cells: HTMLTableCellElement[][] = [];

  constructor(private readonly table: HTMLTableElement) {}

  /** Starts over with one column per peer name. */
  reset(peerNames: string[]): void {
    const headRow = this.table.tHead!.rows[0]!;
    while (headRow.cells.length > 1) headRow.deleteCell(1);
    for (const name of peerNames) {
      const th = document.createElement('th');
      th.scope = 'col';
      th.textContent = name;
      headRow.append(th);
    }
    const body = this.table.tBodies[0]!;
    body.replaceChildren();
    this.cells.length = 0;
    for (const [label] of ROWS) {
      const row = body.insertRow();
      const th = document.createElement('th');
      th.scope = 'row';
      th.textContent = label;
      row.append(th);
      this.cells.push(peerNames.map(() => row.insertCell()));
    }
  }

  update(column: number, stats: EngineStats): void {
    ROWS.forEach(([, value], i) => {
      const cell = this.cells[i]?.[column];
      if (cell) cell.textContent = value(stats);
    });
  }
}
