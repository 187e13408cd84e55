import { execFileSync } from 'node:child_process';
import dgram from 'node:dgram';
import dns from 'node:dns';
import { isIP } from 'node:net';
import { networkInterfaces } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PduChannel } from '../../src/index.node.js';
import { connectWeriftPeers, createWeriftPeer, localStun } from '../../src/node/werift-peer.js';

/** Every address this machine (or this namespace) owns: the only places a packet may go. */
function localAddresses(): Set<string> {
  const own = new Set<string>(['127.0.0.1', '::1']);
  for (const list of Object.values(networkInterfaces())) for (const info of list ?? []) own.add(info.address);
  return own;
}
const isLocal = (address: string, own: Set<string>) =>
  own.has(address.replace(/%.*$/, '')) || address.startsWith('127.') || address.startsWith('fe80:');

const nftAvailable = (() => {
  if (process.env.PDU_NETNS !== '1') return false;
  try {
    execFileSync('nft', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
const table = `pdu_egress_${process.pid}`;

describe('network rule: a werift peer from the helper sends nothing off the machine', () => {
  const destinations: string[] = [];
  const lookups: string[] = [];
  const originalSend = dgram.Socket.prototype.send;
  const originalLookup = dns.lookup;

  beforeAll(() => {
    // Record the destination of every UDP datagram and every DNS lookup this process makes.
    dgram.Socket.prototype.send = function (this: dgram.Socket, ...args: unknown[]) {
      const address = args.find((a, i) => i > 0 && typeof a === 'string');
      destinations.push(typeof address === 'string' ? address : `connected:${this.remoteAddress().address}`);
      return (originalSend as (...a: unknown[]) => void).apply(this, args);
    } as typeof dgram.Socket.prototype.send;
    (dns as { lookup: unknown }).lookup = (hostname: string, ...rest: unknown[]) => {
      // Node passes IP literals through lookup too; only a name would need a resolver.
      if (isIP(hostname) === 0) lookups.push(hostname);
      return (originalLookup as (...a: unknown[]) => void)(hostname, ...rest);
    };
    if (nftAvailable) {
      // Kernel-level count of every packet leaving for an address that is not ours.
      execFileSync('nft', ['-f', '-'], {
        input: [
          `table inet ${table} {`,
          '  chain out {',
          '    type filter hook output priority 0;',
          // UDP and TCP only: the kernel's own IGMP/ICMPv6 chatter on the new link is not the peers'.
          '    meta l4proto { udp, tcp } ip daddr != { 127.0.0.0/8, 10.77.0.0/24 } counter',
          '    meta l4proto { udp, tcp } ip6 daddr != { ::1, fe80::/10 } counter',
          '    ip daddr { 127.0.0.0/8, 10.77.0.0/24 } counter',
          '  }',
          '}',
        ].join('\n'),
      });
    }
  });
  afterAll(() => {
    dgram.Socket.prototype.send = originalSend;
    (dns as { lookup: unknown }).lookup = originalLookup;
    if (nftAvailable) execFileSync('nft', ['delete', 'table', 'inet', table]);
  });

  it('connects two peers and exchanges data using only local addresses', async () => {
    const stun = await localStun();
    const answeredBefore = stun.counters.answered;
    const a = await createWeriftPeer();
    const b = await createWeriftPeer();
    const tx = a.createDataChannel('pdu', { negotiated: true, id: 1000, ordered: false, maxRetransmits: 0 });
    const rx = b.createDataChannel('pdu', { negotiated: true, id: 1000, ordered: false, maxRetransmits: 0 });
    await connectWeriftPeers(a, b);
    for (const ch of [tx, rx]) if (ch.readyState !== 'open') await ch.stateChanged.watch((s) => s === 'open');
    const got = new Promise<Buffer>((resolve) => rx.onMessage.subscribe((d) => resolve(d as Buffer)));
    tx.send(Buffer.from('hello'));
    expect((await got).toString()).toBe('hello');
    await Promise.all([a.close(), b.close()]);

    const own = localAddresses();
    expect(destinations.length).toBeGreaterThan(0);
    expect(destinations.filter((d) => !isLocal(d, own))).toEqual([]);
    expect(lookups).toEqual([]);
    // The peers gathered through the loopback responder rather than a public server.
    expect(stun.counters.answered).toBeGreaterThan(answeredBefore);
  });

  it('stripes PDU makes itself (`stripes: 2`, peers made like the first) use only local addresses too', async () => {
    const stun = await localStun();
    const answeredBefore = stun.counters.answered;
    const sentBefore = destinations.length;
    const a = await createWeriftPeer();
    const b = await createWeriftPeer();
    const opening = [PduChannel.open(a, { stripes: 2 }), PduChannel.open(b, { stripes: 2 })];
    await connectWeriftPeers(a, b);
    const [x, y] = (await Promise.all(opening)) as [PduChannel, PduChannel];
    const got = new Promise<number>((resolve) => y.on('message', ({ data }) => resolve(data.length)));
    await x.send(new Uint8Array(50_000));
    expect(await got).toBe(50_000);
    await Promise.all([x.close(), y.close()]);
    await Promise.all([a.close(), b.close()]);

    const own = localAddresses();
    expect(destinations.length).toBeGreaterThan(sentBefore);
    expect(destinations.filter((d) => !isLocal(d, own))).toEqual([]);
    expect(lookups).toEqual([]);
    // Two connections per side now gathered through the loopback responder: more answers than
    // the first pair's alone would give.
    expect(stun.counters.answered - answeredBefore).toBeGreaterThan(2);
  });

  it.skipIf(!nftAvailable)('the kernel counted no packet to a non-local address (nftables, in the test namespace)', () => {
    const listing = execFileSync('nft', ['list', 'table', 'inet', table]).toString();
    const counts = [...listing.matchAll(/counter packets (\d+)/g)].map((m) => Number(m[1]));
    expect(counts).toHaveLength(3);
    const [foreignV4, foreignV6, local] = counts as [number, number, number];
    expect(foreignV4).toBe(0);
    expect(foreignV6).toBe(0);
    expect(local).toBeGreaterThan(0); // the hook did see the peers' traffic
  });
});
