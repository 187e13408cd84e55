// ChaCha20-Poly1305 in the WebAssembly core, against RFC 8439's vectors, @noble/ciphers (the
// reference core) and node:crypto (OpenSSL). Every WASM export (chacha20Xor, poly1305Mac,
// aeadSeal, aeadOpen) is differentially tested on more than 10,000 random inputs.
import { createCipheriv } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { chacha20 as nobleChacha20 } from '@noble/ciphers/chacha.js';
import {
  CoreMemoryError,
  loadWasmCore,
  referenceCore,
  type PduCore,
  type WasmPduCore,
} from '../../src/core/index.js';

// ---------------------------------------------------------------- helpers

const hex = (u: Uint8Array): string => Buffer.from(u.buffer, u.byteOffset, u.byteLength).toString('hex');
const unhex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
const ascii = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'latin1'));

/** Deterministic xorshift32 stream, so a failure names a seed that reproduces it. */
class Rng {
  private x: number;
  constructor(seed: number) {
    this.x = seed >>> 0 || 0x9e3779b9;
  }
  u32(): number {
    let x = this.x;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.x = x >>> 0;
    return this.x;
  }
  below(n: number): number {
    return this.u32() % n;
  }
  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    let i = 0;
    for (; i + 4 <= n; i += 4) {
      const v = this.u32();
      out[i] = v;
      out[i + 1] = v >>> 8;
      out[i + 2] = v >>> 16;
      out[i + 3] = v >>> 24;
    }
    for (; i < n; i++) out[i] = this.u32();
    return out;
  }
  /** Bytes in a view that starts at a random offset of a larger buffer (unaligned input). */
  view(n: number): Uint8Array {
    const pad = this.below(8);
    return this.bytes(n + pad).subarray(pad);
  }
}

/** Index of the first differing byte, or -1 (cheaper than toEqual on large arrays). */
function firstDifference(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length) return Math.min(a.length, b.length);
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return i;
  return -1;
}

/** node:crypto's (OpenSSL's) ChaCha20-Poly1305: ciphertext || tag. */
function nodeSeal(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, pt: Uint8Array): Uint8Array {
  const c = createCipheriv('chacha20-poly1305', key, nonce, { authTagLength: 16 });
  c.setAAD(aad, { plaintextLength: pt.length });
  const head = c.update(pt);
  c.final();
  return new Uint8Array(Buffer.concat([head, c.getAuthTag()]));
}

let wasm: WasmPduCore;
beforeAll(async () => {
  wasm = await loadWasmCore();
});
const cores = (): PduCore[] => [wasm, referenceCore];

// ---------------------------------------------------------------- RFC 8439 vectors

const SUNSCREEN =
  "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.";
const SUBMISSION_TEXT = unhex(`
  416e79207375626d697373696f6e20746f20746865204945544620696e74656e6465642062792074686520436f6e7472
  696275746f7220666f72207075626c69636174696f6e20617320616c6c206f722070617274206f6620616e2049455446
  20496e7465726e65742d4472616674206f722052464320616e6420616e792073746174656d656e74206d616465207769
  7468696e2074686520636f6e74657874206f6620616e204945544620616374697669747920697320636f6e7369646572
  656420616e20224945544620436f6e747269627574696f6e222e20537563682073746174656d656e747320696e636c75
  6465206f72616c2073746174656d656e747320696e20494554462073657373696f6e732c2061732077656c6c20617320
  7772697474656e20616e6420656c656374726f6e696320636f6d6d756e69636174696f6e73206d61646520617420616e
  792074696d65206f7220706c6163652c207768696368206172652061646472657373656420746f`);
const JABBERWOCKY = unhex(`
  2754776173206272696c6c69672c20616e642074686520736c6974687920746f7665730a446964206779726520616e64
  2067696d626c6520696e2074686520776162653a0a416c6c206d696d737920776572652074686520626f726f676f7665
  732c0a416e6420746865206d6f6d65207261746873206f757467726162652e`);
const KEY_0_TO_31 = unhex('000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f');
const KEY_ZERO = new Uint8Array(32);
const KEY_ONE = unhex('0000000000000000000000000000000000000000000000000000000000000001');
const KEY_1C92 = unhex('1c9240a5eb55d38af333888604f6b5f0473917c1402b80099dca5cbc207075c0');

/** Section 2.3.2 and Appendix A.1: [key, nonce, counter, serialized block]. */
const BLOCK_VECTORS: [Uint8Array, string, number, string][] = [
  [KEY_0_TO_31, '000000090000004a00000000', 1, `
    10f1e7e4d13b5915500fdd1fa32071c4c7d1f4c733c068030422aa9ac3d46c4e
    d2826446079faa0914c2d705d98b02a2b5129cd1de164eb9cbd083e8a2503c4e`],
  [KEY_ZERO, '000000000000000000000000', 0, `
    76b8e0ada0f13d90405d6ae55386bd28bdd219b8a08ded1aa836efcc8b770dc7
    da41597c5157488d7724e03fb8d84a376a43b8f41518a11cc387b669b2ee6586`],
  [KEY_ZERO, '000000000000000000000000', 1, `
    9f07e7be5551387a98ba977c732d080dcb0f29a048e3656912c6533e32ee7aed
    29b721769ce64e43d57133b074d839d531ed1f28510afb45ace10a1f4b794d6f`],
  [KEY_ONE, '000000000000000000000000', 1, `
    3aeb5224ecf849929b9d828db1ced4dd832025e8018b8160b82284f3c949aa5a
    8eca00bbb4a73bdad192b5c42f73f2fd4e273644c8b36125a64addeb006c13a0`],
  [unhex('00ff000000000000000000000000000000000000000000000000000000000000'), '000000000000000000000000', 2, `
    72d54dfbf12ec44b362692df94137f328fea8da73990265ec1bbbea1ae9af0ca
    13b25aa26cb4a648cb9b9d1be65b2c0924a66c54d545ec1b7374f4872e99f096`],
  [KEY_ZERO, '000000000000000000000002', 0, `
    c2c64d378cd536374ae204b9ef933fcd1a8b2288b3dfa49672ab765b54ee27c7
    8a970e0e955c14f3a88e741b97c286f75f8fc299e8148362fa198a39531bed6d`],
];

/** Section 2.4.2 and Appendix A.2: [key, nonce, counter, plaintext, ciphertext]. */
const ENCRYPTION_VECTORS: [Uint8Array, string, number, Uint8Array, string][] = [
  [KEY_0_TO_31, '000000000000004a00000000', 1, ascii(SUNSCREEN), `
    6e2e359a2568f98041ba0728dd0d6981e97e7aec1d4360c20a27afccfd9fae0bf91b65c5524733ab8f593dabcd62b357
    1639d624e65152ab8f530c359f0861d807ca0dbf500d6a6156a38e088a22b65e52bc514d16ccf806818ce91ab7793736
    5af90bbf74a35be6b40b8eedf2785e42874d`],
  [KEY_ZERO, '000000000000000000000000', 0, new Uint8Array(64), `
    76b8e0ada0f13d90405d6ae55386bd28bdd219b8a08ded1aa836efcc8b770dc7
    da41597c5157488d7724e03fb8d84a376a43b8f41518a11cc387b669b2ee6586`],
  [KEY_ONE, '000000000000000000000002', 1, SUBMISSION_TEXT, `
    a3fbf07df3fa2fde4f376ca23e82737041605d9f4f4f57bd8cff2c1d4b7955ec2a97948bd3722915c8f3d337f7d37005
    0e9e96d647b7c39f56e031ca5eb6250d4042e02785ececfa4b4bb5e8ead0440e20b6e8db09d881a7c6132f420e527950
    42bdfa7773d8a9051447b3291ce1411c680465552aa6c405b7764d5e87bea85ad00f8449ed8f72d0d662ab052691ca66
    424bc86d2df80ea41f43abf937d3259dc4b2d0dfb48a6c9139ddd7f76966e928e635553ba76c5c879d7b35d49eb2e62b
    0871cdac638939e25e8a1e0ef9d5280fa8ca328b351c3c765989cbcf3daa8b6ccc3aaf9f3979c92b3720fc88dc95ed84
    a1be059c6499b9fda236e7e818b04b0bc39c1e876b193bfe5569753f88128cc08aaa9b63d1a16f80ef2554d7189c411f
    5869ca52c5b83fa36ff216b9c1d30062bebcfd2dc5bce0911934fda79a86f6e698ced759c3ff9b6477338f3da4f9cd85
    14ea9982ccafb341b2384dd902f3d1ab7ac61dd29c6f21ba5b862f3730e37cfdc4fd806c22f221`],
  [KEY_1C92, '000000000000000000000002', 42, JABBERWOCKY, `
    62e6347f95ed87a45ffae7426f27a1df5fb69110044c0d73118effa95b01e5cf166d3df2d721caf9b21e5fb14c616871
    fd84c54f9d65b283196c7fe4f60553ebf39c6402c42234e32a356b3e764312a61a5532055716ead6962568f87d3f3f77
    04c6a8d1bcd1bf4d50d6154b6da731b187b58dfd728afa36757a797ac188d1`],
];

/** Section 2.5.2 and Appendix A.3: [one-time key, message, tag]. */
const POLY1305_VECTORS: [string, Uint8Array, string][] = [
  ['85d6be7857556d337f4452fe42d506a80103808afb0db2fd4abff6af4149f51b', ascii('Cryptographic Forum Research Group'),
    'a8061dc1305136c6c22b8baf0c0127a9'],
  ['00'.repeat(32), new Uint8Array(64), '00000000000000000000000000000000'],
  ['00'.repeat(16) + '36e5f6b5c5e06070f0efca96227a863e', SUBMISSION_TEXT, '36e5f6b5c5e06070f0efca96227a863e'],
  ['36e5f6b5c5e06070f0efca96227a863e' + '00'.repeat(16), SUBMISSION_TEXT, 'f3477e7cd95417af89a6b8794c310cf0'],
  [hex(KEY_1C92), JABBERWOCKY, '4541669a7eaaee61e708dc7cbcc5eb62'],
  ['02' + '00'.repeat(31), unhex('ff'.repeat(16)), '03000000000000000000000000000000'],
  ['02' + '00'.repeat(15) + 'ff'.repeat(16), unhex('02' + '00'.repeat(15)), '03000000000000000000000000000000'],
  ['01' + '00'.repeat(31), unhex('ff'.repeat(16) + 'f0' + 'ff'.repeat(15) + '11' + '00'.repeat(15)),
    '05000000000000000000000000000000'],
  ['01' + '00'.repeat(31), unhex('ff'.repeat(16) + 'fb' + 'fe'.repeat(15) + '01'.repeat(16)),
    '00000000000000000000000000000000'],
  ['02' + '00'.repeat(31), unhex('fd' + 'ff'.repeat(15)), 'faffffffffffffffffffffffffffffff'],
  ['0100000000000000040000000000000000000000000000000000000000000000',
    unhex('e33594d7505e43b90000000000000000 3394d7505e4379cd0100000000000000 00000000000000000000000000000000 01000000000000000000000000000000'),
    '14000000000000005500000000000000'],
  ['0100000000000000040000000000000000000000000000000000000000000000',
    unhex('e33594d7505e43b90000000000000000 3394d7505e4379cd0100000000000000 00000000000000000000000000000000'),
    '13000000000000000000000000000000'],
];

/** Appendix A.4: [key, nonce, one-time Poly1305 key] (block 0's first 32 bytes). */
const KEYGEN_VECTORS: [Uint8Array, string, string][] = [
  [KEY_ZERO, '000000000000000000000000', '76b8e0ada0f13d90405d6ae55386bd28bdd219b8a08ded1aa836efcc8b770dc7'],
  [KEY_ONE, '000000000000000000000002', 'ecfa254f845f647473d3cb140da9e87606cb33066c447b87bc2666dde3fbb739'],
  [KEY_1C92, '000000000000000000000002', '965e3bc6f9ec7ed9560808f4d229f94b137ff275ca9b3fcbdd59deaad23310ae'],
];

/** Section 2.8.2 and Appendix A.5: [key, nonce, aad, plaintext, ciphertext || tag]. */
const AEAD_VECTORS: [Uint8Array, string, string, Uint8Array, string][] = [
  [unhex('808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f'), '070000004041424344454647',
    '50515253c0c1c2c3c4c5c6c7', ascii(SUNSCREEN), `
    d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d63dbea45e8ca9671282fafb69da92728b
    1a71de0a9e060b2905d6a5b67ecd3b3692ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc
    3ff4def08e4b7a9de576d26586cec64b6116 1ae10b594f09e26a7e902ecbd0600691`],
  [KEY_1C92, '000000000102030405060708', 'f33388860000000000004e91', unhex(`
    496e7465726e65742d4472616674732061726520647261667420646f63756d656e74732076616c696420666f72206120
    6d6178696d756d206f6620736978206d6f6e74687320616e64206d617920626520757064617465642c207265706c6163
    65642c206f72206f62736f6c65746564206279206f7468657220646f63756d656e747320617420616e792074696d652e
    20497420697320696e617070726f70726961746520746f2075736520496e7465726e65742d4472616674732061732072
    65666572656e6365206d6174657269616c206f7220746f2063697465207468656d206f74686572207468616e20617320
    2fe2809c776f726b20696e2070726f67726573732e2fe2809d`), `
    64a0861575861af460f062c79be643bd5e805cfd345cf389f108670ac76c8cb24c6cfc18755d43eea09ee94e382d26b0
    bdb7b73c321b0100d4f03b7f355894cf332f830e710b97ce98c8a84abd0b948114ad176e008d33bd60f982b1ff37c855
    9797a06ef4f0ef61c186324e2b3506383606907b6a7c02b0f9f6157b53c867e4b9166c767b804d46a59b5216cde7a4e9
    9040c5a40433225ee282a1b0a06c523eaf4534d7f83fa1155b0047718cbc546a0d072b04b3564eea1b422273f548271a
    0bb2316053fa76991955ebd63159434ecebb4e466dae5a1073a6727627097a1049e617d91d361094fa68f0ff77987130
    305beaba2eda04df997b714d6c6f2c29a6ad5cb4022b02709b eead9d67890cbb22392336fea1851f38`],
];

describe('RFC 8439 vectors, both cores', () => {
  it('ChaCha20 block function (section 2.3.2, Appendix A.1)', () => {
    for (const core of cores()) {
      for (const [key, nonce, counter, block] of BLOCK_VECTORS) {
        expect(hex(core.chacha20(key, unhex(nonce), new Uint8Array(64), counter)), core.kind).toBe(hex(unhex(block)));
      }
    }
  });

  it('ChaCha20 encryption and decryption (section 2.4.2, Appendix A.2)', () => {
    for (const core of cores()) {
      for (const [key, nonce, counter, pt, ct] of ENCRYPTION_VECTORS) {
        expect(hex(core.chacha20(key, unhex(nonce), pt, counter)), core.kind).toBe(hex(unhex(ct)));
        expect(hex(core.chacha20(key, unhex(nonce), unhex(ct), counter)), core.kind).toBe(hex(pt));
      }
    }
  });

  it('Poly1305 (section 2.5.2, Appendix A.3 including the carry and wrap edge cases)', () => {
    for (const core of cores()) {
      for (const [key, msg, tag] of POLY1305_VECTORS) {
        expect(hex(core.poly1305(unhex(key), msg)), `${core.kind} ${key}`).toBe(tag);
      }
    }
  });

  it('Poly1305 key generation from ChaCha20 block 0 (Appendix A.4)', () => {
    for (const core of cores()) {
      for (const [key, nonce, otk] of KEYGEN_VECTORS) {
        expect(hex(core.chacha20(key, unhex(nonce), new Uint8Array(32), 0)), core.kind).toBe(otk);
      }
    }
  });

  it('AEAD seal and open (section 2.8.2, Appendix A.5)', () => {
    for (const core of cores()) {
      for (const [key, nonce, aad, pt, sealed] of AEAD_VECTORS) {
        expect(hex(core.aeadSeal(key, unhex(nonce), unhex(aad), pt)), core.kind).toBe(hex(unhex(sealed)));
        const opened = core.aeadOpen(key, unhex(nonce), unhex(aad), unhex(sealed));
        expect(opened && hex(opened), core.kind).toBe(hex(pt));
      }
    }
  });
});

// ---------------------------------------------------------------- differential, random inputs

const EDGE_SIZES = [0, 1, 15, 16, 17, 63, 64, 65, 191, 192, 193, 255, 256, 257, 1150, 16384, 65536];
const AAD_SIZES = [0, 1, 12, 15, 16, 17, 31, 32, 33, 63, 64, 65];

/** Sizes for `count` cases: every edge size `repeat` times (the big ones fewer), the rest random. */
function sizes(rng: Rng, count: number, repeat: number, randomMax: number): number[] {
  const out: number[] = [];
  for (const s of EDGE_SIZES) for (let i = 0; i < (s > 2048 ? 8 : repeat); i++) out.push(s);
  while (out.length < count) out.push(rng.below(randomMax + 1));
  return out;
}

describe('WASM core against @noble/ciphers and node:crypto on random inputs', () => {
  it('aeadSeal / aeadOpen: 10,400 inputs equal noble and node:crypto byte for byte and round-trip', () => {
    const rng = new Rng(0xaead);
    const list = sizes(rng, 10_400, 60, 1200);
    let checked = 0;
    for (const [i, n] of list.entries()) {
      const key = rng.view(32);
      const nonce = rng.view(12);
      const aad = rng.view(i % 5 === 0 ? rng.below(300) : (AAD_SIZES[i % AAD_SIZES.length] as number));
      const pt = rng.view(n);
      const ptCopy = pt.slice();
      const sealed = wasm.aeadSeal(key, nonce, aad, pt);
      const want = referenceCore.aeadSeal(key, nonce, aad, pt);
      const where = `case ${i}: ${n} B, aad ${aad.length} B`;
      expect(sealed.length, where).toBe(n + 16);
      expect(firstDifference(sealed, want), `${where} vs noble`).toBe(-1);
      expect(firstDifference(sealed, nodeSeal(key, nonce, aad, pt)), `${where} vs node:crypto`).toBe(-1);
      const opened = wasm.aeadOpen(key, nonce, aad, sealed);
      expect(opened && firstDifference(opened, pt), `${where} open`).toBe(-1);
      if (i % 10 === 0) {
        const refOpened = referenceCore.aeadOpen(key, nonce, aad, sealed);
        expect(refOpened && firstDifference(refOpened, pt), `${where} reference open`).toBe(-1);
      }
      expect(firstDifference(pt, ptCopy), `${where}: input untouched`).toBe(-1);
      checked++;
    }
    expect(checked).toBeGreaterThanOrEqual(10_000);
  });

  it('chacha20Xor: 10,400 inputs (random counters, the top of the counter range) equal noble', () => {
    const rng = new Rng(0xc4a);
    const list = sizes(rng, 10_400, 40, 1100);
    for (const [i, n] of list.entries()) {
      const key = rng.view(32);
      const nonce = rng.view(12);
      const data = rng.view(n);
      const blocks = Math.max(1, Math.ceil(n / 64));
      // A third near the top of the 32-bit counter (the last usable block is 2^32 - 2).
      const counter = i % 3 === 0 ? 2 ** 32 - 1 - blocks - rng.below(4) : rng.u32() % (2 ** 32 - 1 - blocks);
      const got = wasm.chacha20(key, nonce, data, counter);
      const want = nobleChacha20(key, nonce, data, undefined, counter);
      expect(firstDifference(got, want), `case ${i}: ${n} B at counter ${counter}`).toBe(-1);
    }
  });

  it('chacha20: both cores refuse a counter that would reach 2^32 - 1, as noble does', () => {
    const key = new Uint8Array(32);
    const nonce = new Uint8Array(12);
    for (const core of cores()) {
      expect(core.chacha20(key, nonce, new Uint8Array(64), 2 ** 32 - 2).length).toBe(64);
      expect(() => core.chacha20(key, nonce, new Uint8Array(65), 2 ** 32 - 2)).toThrow(RangeError);
      expect(() => core.chacha20(key, nonce, new Uint8Array(0), 2 ** 32 - 1)).toThrow(RangeError);
      expect(() => core.chacha20(key, nonce, new Uint8Array(1), -1)).toThrow(RangeError);
      expect(() => core.chacha20(key, nonce, new Uint8Array(1), 1.5)).toThrow(RangeError);
    }
    expect(() => nobleChacha20(key, nonce, new Uint8Array(65), undefined, 2 ** 32 - 2)).toThrow();
  });

  it('poly1305Mac near the modulus: r = 1 and two blocks put h at 2^130 - 2 - k, across p = 2^130 - 5', () => {
    const rng = new Rng(0x5);
    for (let k = 0; k < 16; k++) {
      for (const s of [new Uint8Array(16), new Uint8Array(16).fill(0xff), rng.bytes(16)]) {
        const key = new Uint8Array(32);
        key[0] = 1; // r = 1, so h = m1 + m2 + 2 * 2^128 before the final reduction
        key.set(s, 16);
        const msg = new Uint8Array(32).fill(0xff);
        msg[16] = 0xff - k;
        for (const core of cores()) {
          expect(hex(core.poly1305(key, msg)), `${core.kind} k=${k}`).toBe(hex(referenceCore.poly1305(key, msg)));
        }
        expect(hex(wasm.poly1305(key, msg.subarray(0, 31))), `31 B, k=${k}`).toBe(
          hex(referenceCore.poly1305(key, msg.subarray(0, 31))),
        );
      }
    }
  });

  it('poly1305Mac: 10,400 inputs (random keys, all-ones r and s) equal noble', () => {
    const rng = new Rng(0x1305);
    const list = sizes(rng, 10_400, 40, 1100);
    for (const [i, n] of list.entries()) {
      const key = rng.view(32);
      if (i % 7 === 0) key.fill(0xff); // clamped r at its largest, s all ones: the carry paths
      if (i % 7 === 1) key.fill(0xff, 16); // s all ones: the final addition wraps mod 2^128
      const msg = rng.view(n);
      if (i % 11 === 0) msg.fill(0xff);
      const got = wasm.poly1305(key, msg);
      const want = referenceCore.poly1305(key, msg);
      expect(hex(got), `case ${i}: ${n} B`).toBe(hex(want));
    }
  });
});

// ---------------------------------------------------------------- authentication failures, arguments

describe('sealing and opening into a caller\'s buffer', () => {
  it('writes what a fresh buffer would hold, aligned or not, and refuses a wrong length', () => {
    const rng = new Rng(0x0a7);
    for (const core of cores()) {
      for (const n of [0, 1, 15, 16, 64, 1119, 1150, 5000]) {
        const key = rng.bytes(32);
        const nonce = rng.bytes(12);
        const aad = rng.view(15);
        const pt = rng.view(n);
        const want = core.aeadSeal(key, nonce, aad, pt);
        for (const offset of [0, 1, 15]) {
          const where = `${core.kind}: ${n} B at offset ${offset}`;
          const datagram = new Uint8Array(offset + n + 16);
          const out = datagram.subarray(offset);
          expect(core.aeadSeal(key, nonce, aad, pt, out), where).toBe(out);
          expect(firstDifference(out, want), `${where}: seal`).toBe(-1);
          const plain = new Uint8Array(offset + n).subarray(offset);
          expect(core.aeadOpen(key, nonce, aad, out, plain), where).toBe(plain);
          expect(firstDifference(plain, pt), `${where}: open`).toBe(-1);
        }
        expect(() => core.aeadSeal(key, nonce, aad, pt, new Uint8Array(n + 15)), core.kind).toThrow(RangeError);
        expect(() => core.aeadOpen(key, nonce, aad, want, new Uint8Array(n + 1)), core.kind).toThrow(RangeError);
      }
    }
  });

  it('leaves the buffer untouched when the tag does not verify', () => {
    const rng = new Rng(0xf00d);
    for (const core of cores()) {
      const key = rng.bytes(32);
      const nonce = rng.bytes(12);
      const aad = rng.bytes(15);
      const sealed = core.aeadSeal(key, nonce, aad, rng.bytes(1119));
      sealed[sealed.length - 1] = (sealed[sealed.length - 1] as number) ^ 1;
      const out = new Uint8Array(1119).fill(0xa5);
      expect(core.aeadOpen(key, nonce, aad, sealed, out), core.kind).toBeUndefined();
      expect(out.every((b) => b === 0xa5), core.kind).toBe(true);
    }
  });
});

describe('authentication failures return undefined and never throw', () => {
  it('flipped bits in tag, ciphertext or aad, a wrong key or nonce, truncation', () => {
    const rng = new Rng(0xbad);
    for (let i = 0; i < 300; i++) {
      const n = i < 20 ? i : rng.below(1500);
      const key = rng.bytes(32);
      const nonce = rng.bytes(12);
      const aad = rng.bytes(rng.below(40) + 1);
      const sealed = referenceCore.aeadSeal(key, nonce, aad, rng.bytes(n));
      const bit = (len: number) => [rng.below(len), 1 << rng.below(8)] as const;
      const tampered: [string, Uint8Array, Uint8Array, Uint8Array, Uint8Array][] = [];
      {
        const s = sealed.slice();
        const [at, mask] = bit(16);
        s[n + at] = (s[n + at] as number) ^ mask;
        tampered.push(['tag', key, nonce, aad, s]);
      }
      if (n > 0) {
        const s = sealed.slice();
        const [at, mask] = bit(n);
        s[at] = (s[at] as number) ^ mask;
        tampered.push(['ciphertext', key, nonce, aad, s]);
      }
      {
        const a = aad.slice();
        const [at, mask] = bit(a.length);
        a[at] = (a[at] as number) ^ mask;
        tampered.push(['aad', key, nonce, a, sealed]);
        tampered.push(['aad dropped', key, nonce, new Uint8Array(0), sealed]);
        tampered.push(['aad extended', key, nonce, new Uint8Array([...aad, 0]), sealed]);
      }
      {
        const k = key.slice();
        const ki = rng.below(32);
        k[ki] = (k[ki] as number) ^ 1;
        tampered.push(['key', k, nonce, aad, sealed]);
        const v = nonce.slice();
        const vi = rng.below(12);
        v[vi] = (v[vi] as number) ^ 0x80;
        tampered.push(['nonce', key, v, aad, sealed]);
      }
      tampered.push(['truncated', key, nonce, aad, sealed.subarray(0, sealed.length - 1)]);
      tampered.push(['extended', key, nonce, aad, new Uint8Array([...sealed, 0])]);
      tampered.push(['shorter than a tag', key, nonce, aad, sealed.subarray(0, rng.below(16))]);
      for (const core of cores()) {
        for (const [what, k, v, a, s] of tampered) {
          expect(core.aeadOpen(k, v, a, s), `${core.kind} ${what}, case ${i}`).toBeUndefined();
        }
        expect(core.aeadOpen(key, nonce, aad, sealed)?.length, `${core.kind} untampered, case ${i}`).toBe(n);
      }
    }
  });

  it('wrong key or nonce lengths throw RangeError in both cores', () => {
    const ok32 = new Uint8Array(32);
    const ok12 = new Uint8Array(12);
    const e = new Uint8Array(0);
    const sealed = new Uint8Array(16);
    for (const core of cores()) {
      for (const key of [new Uint8Array(0), new Uint8Array(16), new Uint8Array(31), new Uint8Array(33)]) {
        expect(() => core.aeadSeal(key, ok12, e, e), core.kind).toThrow(RangeError);
        expect(() => core.aeadOpen(key, ok12, e, sealed), core.kind).toThrow(RangeError);
        expect(() => core.chacha20(key, ok12, e), core.kind).toThrow(RangeError);
        expect(() => core.poly1305(key, e), core.kind).toThrow(RangeError);
      }
      for (const nonce of [new Uint8Array(0), new Uint8Array(8), new Uint8Array(11), new Uint8Array(24)]) {
        expect(() => core.aeadSeal(ok32, nonce, e, e), core.kind).toThrow(RangeError);
        expect(() => core.aeadOpen(ok32, nonce, e, sealed), core.kind).toThrow(RangeError);
      }
    }
  });
});

// ---------------------------------------------------------------- memory: cap, no growth, wiping

/** True when `needle` (at least 8 bytes long) occurs in `hay`. */
function contains(hay: Uint8Array, needle: Uint8Array): boolean {
  return Buffer.from(hay.buffer, hay.byteOffset, hay.byteLength).indexOf(Buffer.from(needle)) !== -1;
}

describe('WASM core linear memory', () => {
  // 200,000 operations here keep this file well under 30 s on a loaded 2-core machine; the full
  // million (as seal+open pairs, so two million operations) runs in `npx tsx bench/core-aead.ts
  // --memory`, and CORE_AEAD_OPS=1000000 runs it here.
  const ops = Number(process.env.CORE_AEAD_OPS ?? 200_000);
  it(`does not grow across ${ops.toLocaleString('en')} operations (seals and opens alternating) of 1150 B`, () => {
    const rng = new Rng(0x1000);
    const key = rng.bytes(32);
    const nonce = rng.bytes(12);
    const aad = rng.bytes(16);
    const pt = rng.bytes(1150);
    for (let i = 0; i < 1000; i++) wasm.aeadOpen(key, nonce, aad, wasm.aeadSeal(key, nonce, aad, pt));
    const before = wasm.memory.buffer.byteLength;
    let ok = 0;
    for (let i = 0; i < ops / 2; i++) {
      if (wasm.aeadOpen(key, nonce, aad, wasm.aeadSeal(key, nonce, aad, pt))) ok++;
    }
    expect(ok).toBe(ops / 2);
    expect(wasm.memory.buffer.byteLength).toBe(before);
  });

  it('grows only within the cap: the largest payload that fits works, one byte more throws CoreMemoryError', async () => {
    const cap = 1024 * 1024;
    const core = await loadWasmCore({ maxMemoryBytes: cap });
    const rng = new Rng(0xcab);
    const key = rng.bytes(32);
    const nonce = rng.bytes(12);
    const aad = rng.bytes(16);
    const max = core.maxAeadPlaintext(aad.length);
    expect(max).toBeGreaterThan(cap - 4096);
    const pt = rng.bytes(max);
    const sealed = core.aeadSeal(key, nonce, aad, pt);
    expect(firstDifference(sealed, nodeSeal(key, nonce, aad, pt))).toBe(-1);
    expect(core.aeadOpen(key, nonce, aad, sealed)?.length).toBe(max);
    expect(core.memory.buffer.byteLength).toBeLessThanOrEqual(cap);
    expect(() => core.aeadSeal(key, nonce, aad, rng.bytes(max + 1))).toThrow(CoreMemoryError);
    expect(() => core.aeadOpen(key, nonce, aad, rng.bytes(max + 17))).toThrow(CoreMemoryError);
    expect(() => core.chacha20(key, nonce, new Uint8Array(cap))).toThrow(CoreMemoryError);
    expect(() => core.poly1305(key, new Uint8Array(cap))).toThrow(CoreMemoryError);
    expect(core.memory.buffer.byteLength).toBeLessThanOrEqual(cap);
    // Still usable after refusing.
    expect(core.aeadOpen(key, nonce, aad, core.aeadSeal(key, nonce, aad, pt.subarray(0, 1150)))?.length).toBe(1150);
  });

  it('leaves no key, one-time key, keystream or opened plaintext in linear memory', () => {
    const rng = new Rng(0x3e3e);
    for (const n of [0, 1, 100, 192, 193, 1150, 5000]) {
      const key = rng.bytes(32);
      const nonce = rng.bytes(12);
      const aad = rng.bytes(16);
      const pt = rng.bytes(n);
      // Every block the core computes: block 0 (the one-time key) and all of each 4-block batch.
      const keystream = referenceCore.chacha20(key, nonce, new Uint8Array(256 * Math.ceil((64 + n) / 256)), 0);
      const secrets = [key, keystream.subarray(0, 32)];
      for (let off = 64; off + 16 <= keystream.length; off += 16) secrets.push(keystream.subarray(off, off + 16));
      const sealed = wasm.aeadSeal(key, nonce, aad, pt);
      const afterSeal = new Uint8Array(wasm.memory.buffer).slice();
      for (const s of secrets) expect(contains(afterSeal, s), `after seal of ${n} B`).toBe(false);
      expect(wasm.aeadOpen(key, nonce, aad, sealed)?.length).toBe(n);
      const afterOpen = new Uint8Array(wasm.memory.buffer).slice();
      for (const s of secrets) expect(contains(afterOpen, s), `after open of ${n} B`).toBe(false);
      if (n >= 16) expect(contains(afterOpen, pt), `plaintext of ${n} B after open`).toBe(false);
      // A failed open leaves nothing either.
      const bad = sealed.slice();
      bad[bad.length - 1] = (bad[bad.length - 1] as number) ^ 1;
      expect(wasm.aeadOpen(key, nonce, aad, bad)).toBeUndefined();
      const afterFail = new Uint8Array(wasm.memory.buffer).slice();
      for (const s of secrets) expect(contains(afterFail, s), `after failed open of ${n} B`).toBe(false);
    }
  });
});
