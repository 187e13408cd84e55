import { WebSocketServer, type WebSocket } from 'ws';
import { MAX_SIGNAL_BYTES, parseSignal, type ServerSignal } from './protocol.js';

export interface SignalingServerOptions {
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** Rooms open at once; a join beyond it is refused as room_full. */
  maxRooms?: number;
}

export interface SignalingServer {
  readonly url: string;
  readonly port: number;
  readonly stats: { rooms: number; relayed: number; rejected: number };
  close(): Promise<void>;
}

/**
 * A WebSocket rendezvous: peers join a room by name; when the second arrives both are told their
 * role (the newcomer makes the offer) and from then on every peer signal is relayed to the other.
 * The server sees SDPs but no application data; PDU's own handshake and SAS make a server that
 * swaps keys detectable (docs/SECURITY.md).
 */
export async function startSignalingServer(options: SignalingServerOptions = {}): Promise<SignalingServer> {
  const host = options.host ?? '127.0.0.1';
  const maxRooms = options.maxRooms ?? 1000;
  const rooms = new Map<string, WebSocket[]>();
  const stats = { rooms: 0, relayed: 0, rejected: 0 };
  const wss = new WebSocketServer({ host, port: options.port ?? 0, maxPayload: MAX_SIGNAL_BYTES });
  await new Promise<void>((resolve, reject) => {
    wss.once('listening', resolve);
    wss.once('error', reject);
  });

  const sendTo = (ws: WebSocket, signal: ServerSignal) => ws.send(JSON.stringify(signal));

  wss.on('connection', (ws) => {
    let room: string | undefined;
    ws.on('message', (data, isBinary) => {
      const signal = isBinary ? undefined : parseSignal(data.toString());
      if (!signal) {
        stats.rejected++;
        sendTo(ws, { type: 'error', code: 'bad_message', message: 'malformed or unknown signaling message' });
        return;
      }
      if (signal.type === 'join') {
        if (room !== undefined) return;
        const members = rooms.get(signal.room) ?? [];
        if (members.length >= 2 || (members.length === 0 && rooms.size >= maxRooms)) {
          stats.rejected++;
          sendTo(ws, { type: 'error', code: 'room_full', message: `room ${signal.room} is full` });
          return;
        }
        room = signal.room;
        members.push(ws);
        rooms.set(room, members);
        stats.rooms = rooms.size;
        if (members.length === 2) {
          sendTo(members[0]!, { type: 'ready', role: 'responder' });
          sendTo(ws, { type: 'ready', role: 'initiator' });
        }
        return;
      }
      if (signal.type !== 'description' && signal.type !== 'candidate' && signal.type !== 'bye') {
        stats.rejected++;
        return;
      }
      const other = room === undefined ? undefined : rooms.get(room)?.find((m) => m !== ws);
      if (other) {
        stats.relayed++;
        other.send(JSON.stringify(signal));
      }
    });
    ws.on('close', () => {
      if (room === undefined) return;
      const rest = (rooms.get(room) ?? []).filter((m) => m !== ws);
      if (rest.length === 0) rooms.delete(room);
      else {
        rooms.set(room, rest);
        for (const m of rest) sendTo(m, { type: 'peer-left' });
      }
      stats.rooms = rooms.size;
    });
  });

  const address = wss.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `ws://${host}:${port}`,
    port,
    stats,
    close: () =>
      new Promise<void>((resolve) => {
        for (const client of wss.clients) client.terminate();
        wss.close(() => resolve());
      }),
  };
}
