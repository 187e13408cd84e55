import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';

// RFC 8489 constants: just enough of STUN to answer Binding requests.
const BINDING_REQUEST = 0x0001;
const BINDING_SUCCESS = 0x0101;
const MAGIC_COOKIE = 0x2112a442;
const XOR_MAPPED_ADDRESS = 0x0020;
const HEADER_BYTES = 20;

export interface LocalStunServer {
  /** `stun:127.0.0.1:PORT`, ready for an RTCIceServer entry. */
  readonly url: string;
  readonly port: number;
  /** Binding requests answered and datagrams ignored as not STUN. */
  readonly counters: { answered: number; ignored: number };
  close(): Promise<void>;
}

/**
 * A STUN responder on loopback. werift falls back to a public STUN server whenever it is given
 * none, so every werift peer the project creates points here instead (see werift-peer.ts):
 * gathering then completes without any packet leaving the machine.
 */
export async function startLocalStunServer(host = '127.0.0.1'): Promise<LocalStunServer> {
  const socket: Socket = createSocket('udp4');
  const counters = { answered: 0, ignored: 0 };
  socket.on('message', (msg, from) => {
    const response = bindingResponse(msg, from);
    if (!response) {
      counters.ignored++;
      return;
    }
    counters.answered++;
    socket.send(response, from.port, from.address);
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(0, host, () => resolve());
  });
  // A test runner must be able to exit while the responder is still up.
  socket.unref();
  const port = socket.address().port;
  return {
    url: `stun:${host}:${port}`,
    port,
    counters,
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}

/** The Binding success response for a well-formed IPv4 Binding request, else undefined. */
function bindingResponse(msg: Buffer, from: RemoteInfo): Buffer | undefined {
  if (msg.length < HEADER_BYTES || from.family !== 'IPv4') return undefined;
  if (msg.readUInt16BE(0) !== BINDING_REQUEST || msg.readUInt32BE(4) !== MAGIC_COOKIE) return undefined;
  const out = Buffer.alloc(HEADER_BYTES + 12);
  out.writeUInt16BE(BINDING_SUCCESS, 0);
  out.writeUInt16BE(12, 2);
  out.writeUInt32BE(MAGIC_COOKIE, 4);
  msg.copy(out, 8, 8, HEADER_BYTES); // transaction id
  out.writeUInt16BE(XOR_MAPPED_ADDRESS, 20);
  out.writeUInt16BE(8, 22);
  out.writeUInt8(0x01, 25); // family IPv4
  out.writeUInt16BE(from.port ^ (MAGIC_COOKIE >>> 16), 26);
  const ip = from.address.split('.').reduce((acc, octet) => (acc << 8) | Number(octet), 0) >>> 0;
  out.writeUInt32BE((ip ^ MAGIC_COOKIE) >>> 0, 28);
  return out;
}
