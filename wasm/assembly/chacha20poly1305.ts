// ChaCha20-Poly1305 (RFC 8439) for the PDU WebAssembly core.
//
// Every function works on addresses in linear memory that the loader lays out above
// scratchBase(); the core allocates nothing. ChaCha20 runs four blocks at a time, one block per
// v128 lane (word i of the four blocks sits in vector i), so a batch is 16 vectors through 20
// rounds, a 4x4 transpose and a 256-byte XOR. Poly1305 uses five 26-bit limbs with u64 products.
//
// Constant time: no branch and no memory address depends on the key, the keystream, the
// plaintext or the tag. Loops and branches depend only on lengths and on the public
// accept/reject outcome of aeadOpen. The tag check XORs the computed and the received tag and
// reduces all 128 bits with one any_true, inside the core; nothing is decrypted before it passes.
// u64 multiplies are single instructions on 64-bit hosts. Scratch that ever held key-derived bytes (keystream, the one-time
// Poly1305 key, the computed tag, the limbs in globals) is zeroed before every function returns.

/** Read-only zeros: XORing them with keystream stores the keystream itself. Never written. */
const ZERO256: usize = memory.data(256, 16);
/** Keystream of one 4-block batch (the tail batch, or blocks 0..3 of an AEAD call). Wiped after use. */
const KS: usize = memory.data(256, 16);
/** One padded Poly1305 block (partial tail, lengths block) or the computed tag. Wiped after use. */
const PAD: usize = memory.data(16, 16);

const MASK26: u64 = 0x3ffffff;
const HIBIT: u64 = 1 << 24;

// ---------------------------------------------------------------- ChaCha20

// Rotations: V8 lowers the 16-bit one to two word shuffles (pshuflw/pshufhw); an 8-bit byte
// shuffle costs it a pshufb plus materialising the mask each time, so 8, 12 and 7 use shifts.
// @ts-ignore: decorator
@inline function rotl16(x: v128): v128 {
  return i8x16.shuffle(x, x, 2, 3, 0, 1, 6, 7, 4, 5, 10, 11, 8, 9, 14, 15, 12, 13);
}
// @ts-ignore: decorator
@inline function rotl8(x: v128): v128 {
  return v128.or(i32x4.shl(x, 8), i32x4.shr_u(x, 24));
}
// @ts-ignore: decorator
@inline function rotl12(x: v128): v128 {
  return v128.or(i32x4.shl(x, 12), i32x4.shr_u(x, 20));
}
// @ts-ignore: decorator
@inline function rotl7(x: v128): v128 {
  return v128.or(i32x4.shl(x, 7), i32x4.shr_u(x, 25));
}

/**
 * Transposes four state vectors (word w..w+3 of blocks 0..3, one block per lane) into four
 * 16-byte rows, one per block, XORs them with src and stores them to dst at byte `off` of each
 * 64-byte block.
 */
// @ts-ignore: decorator
@inline function emit4(a: v128, b: v128, c: v128, d: v128, src: usize, dst: usize, off: usize): void {
  const t0 = i32x4.shuffle(a, b, 0, 4, 1, 5);
  const t1 = i32x4.shuffle(c, d, 0, 4, 1, 5);
  const t2 = i32x4.shuffle(a, b, 2, 6, 3, 7);
  const t3 = i32x4.shuffle(c, d, 2, 6, 3, 7);
  const s = src + off;
  const o = dst + off;
  v128.store(o, v128.xor(v128.load(s), i64x2.shuffle(t0, t1, 0, 2)));
  v128.store(o, v128.xor(v128.load(s, 64), i64x2.shuffle(t0, t1, 1, 3)), 64);
  v128.store(o, v128.xor(v128.load(s, 128), i64x2.shuffle(t2, t3, 0, 2)), 128);
  v128.store(o, v128.xor(v128.load(s, 192), i64x2.shuffle(t2, t3, 1, 3)), 192);
}

/**
 * dst[0..256) = src[0..256) XOR the keystream of blocks counter..counter+3 (32-bit counter,
 * wrapping per lane; callers reject a wrap that would be used). src may equal dst.
 */
function block4(key: usize, nonce: usize, counter: u32, src: usize, dst: usize): void {
  const c0 = i32x4.splat(0x61707865);
  const c1 = i32x4.splat(0x3320646e);
  const c2 = i32x4.splat(0x79622d32);
  const c3 = i32x4.splat(0x6b206574);
  const k0 = i32x4.splat(load<u32>(key, 0));
  const k1 = i32x4.splat(load<u32>(key, 4));
  const k2 = i32x4.splat(load<u32>(key, 8));
  const k3 = i32x4.splat(load<u32>(key, 12));
  const k4 = i32x4.splat(load<u32>(key, 16));
  const k5 = i32x4.splat(load<u32>(key, 20));
  const k6 = i32x4.splat(load<u32>(key, 24));
  const k7 = i32x4.splat(load<u32>(key, 28));
  const ctr = i32x4.add(i32x4.splat(counter), i32x4(0, 1, 2, 3));
  const n0 = i32x4.splat(load<u32>(nonce, 0));
  const n1 = i32x4.splat(load<u32>(nonce, 4));
  const n2 = i32x4.splat(load<u32>(nonce, 8));

  let x0 = c0, x1 = c1, x2 = c2, x3 = c3;
  let x4 = k0, x5 = k1, x6 = k2, x7 = k3;
  let x8 = k4, x9 = k5, x10 = k6, x11 = k7;
  let x12 = ctr, x13 = n0, x14 = n1, x15 = n2;

  // Ten double rounds, two per iteration (the unrolled body measured ~5% faster in V8).
  for (let i = 0; i < 5; i++) {
    // Column round: (0,4,8,12) (1,5,9,13) (2,6,10,14) (3,7,11,15), the four interleaved.
    x0 = i32x4.add(x0, x4); x1 = i32x4.add(x1, x5); x2 = i32x4.add(x2, x6); x3 = i32x4.add(x3, x7);
    x12 = rotl16(v128.xor(x12, x0)); x13 = rotl16(v128.xor(x13, x1));
    x14 = rotl16(v128.xor(x14, x2)); x15 = rotl16(v128.xor(x15, x3));
    x8 = i32x4.add(x8, x12); x9 = i32x4.add(x9, x13); x10 = i32x4.add(x10, x14); x11 = i32x4.add(x11, x15);
    x4 = rotl12(v128.xor(x4, x8)); x5 = rotl12(v128.xor(x5, x9));
    x6 = rotl12(v128.xor(x6, x10)); x7 = rotl12(v128.xor(x7, x11));
    x0 = i32x4.add(x0, x4); x1 = i32x4.add(x1, x5); x2 = i32x4.add(x2, x6); x3 = i32x4.add(x3, x7);
    x12 = rotl8(v128.xor(x12, x0)); x13 = rotl8(v128.xor(x13, x1));
    x14 = rotl8(v128.xor(x14, x2)); x15 = rotl8(v128.xor(x15, x3));
    x8 = i32x4.add(x8, x12); x9 = i32x4.add(x9, x13); x10 = i32x4.add(x10, x14); x11 = i32x4.add(x11, x15);
    x4 = rotl7(v128.xor(x4, x8)); x5 = rotl7(v128.xor(x5, x9));
    x6 = rotl7(v128.xor(x6, x10)); x7 = rotl7(v128.xor(x7, x11));

    // Diagonal round: (0,5,10,15) (1,6,11,12) (2,7,8,13) (3,4,9,14).
    x0 = i32x4.add(x0, x5); x1 = i32x4.add(x1, x6); x2 = i32x4.add(x2, x7); x3 = i32x4.add(x3, x4);
    x15 = rotl16(v128.xor(x15, x0)); x12 = rotl16(v128.xor(x12, x1));
    x13 = rotl16(v128.xor(x13, x2)); x14 = rotl16(v128.xor(x14, x3));
    x10 = i32x4.add(x10, x15); x11 = i32x4.add(x11, x12); x8 = i32x4.add(x8, x13); x9 = i32x4.add(x9, x14);
    x5 = rotl12(v128.xor(x5, x10)); x6 = rotl12(v128.xor(x6, x11));
    x7 = rotl12(v128.xor(x7, x8)); x4 = rotl12(v128.xor(x4, x9));
    x0 = i32x4.add(x0, x5); x1 = i32x4.add(x1, x6); x2 = i32x4.add(x2, x7); x3 = i32x4.add(x3, x4);
    x15 = rotl8(v128.xor(x15, x0)); x12 = rotl8(v128.xor(x12, x1));
    x13 = rotl8(v128.xor(x13, x2)); x14 = rotl8(v128.xor(x14, x3));
    x10 = i32x4.add(x10, x15); x11 = i32x4.add(x11, x12); x8 = i32x4.add(x8, x13); x9 = i32x4.add(x9, x14);
    x5 = rotl7(v128.xor(x5, x10)); x6 = rotl7(v128.xor(x6, x11));
    x7 = rotl7(v128.xor(x7, x8)); x4 = rotl7(v128.xor(x4, x9));
      // Column round: (0,4,8,12) (1,5,9,13) (2,6,10,14) (3,7,11,15), the four interleaved.
    x0 = i32x4.add(x0, x4); x1 = i32x4.add(x1, x5); x2 = i32x4.add(x2, x6); x3 = i32x4.add(x3, x7);
    x12 = rotl16(v128.xor(x12, x0)); x13 = rotl16(v128.xor(x13, x1));
    x14 = rotl16(v128.xor(x14, x2)); x15 = rotl16(v128.xor(x15, x3));
    x8 = i32x4.add(x8, x12); x9 = i32x4.add(x9, x13); x10 = i32x4.add(x10, x14); x11 = i32x4.add(x11, x15);
    x4 = rotl12(v128.xor(x4, x8)); x5 = rotl12(v128.xor(x5, x9));
    x6 = rotl12(v128.xor(x6, x10)); x7 = rotl12(v128.xor(x7, x11));
    x0 = i32x4.add(x0, x4); x1 = i32x4.add(x1, x5); x2 = i32x4.add(x2, x6); x3 = i32x4.add(x3, x7);
    x12 = rotl8(v128.xor(x12, x0)); x13 = rotl8(v128.xor(x13, x1));
    x14 = rotl8(v128.xor(x14, x2)); x15 = rotl8(v128.xor(x15, x3));
    x8 = i32x4.add(x8, x12); x9 = i32x4.add(x9, x13); x10 = i32x4.add(x10, x14); x11 = i32x4.add(x11, x15);
    x4 = rotl7(v128.xor(x4, x8)); x5 = rotl7(v128.xor(x5, x9));
    x6 = rotl7(v128.xor(x6, x10)); x7 = rotl7(v128.xor(x7, x11));

    // Diagonal round: (0,5,10,15) (1,6,11,12) (2,7,8,13) (3,4,9,14).
    x0 = i32x4.add(x0, x5); x1 = i32x4.add(x1, x6); x2 = i32x4.add(x2, x7); x3 = i32x4.add(x3, x4);
    x15 = rotl16(v128.xor(x15, x0)); x12 = rotl16(v128.xor(x12, x1));
    x13 = rotl16(v128.xor(x13, x2)); x14 = rotl16(v128.xor(x14, x3));
    x10 = i32x4.add(x10, x15); x11 = i32x4.add(x11, x12); x8 = i32x4.add(x8, x13); x9 = i32x4.add(x9, x14);
    x5 = rotl12(v128.xor(x5, x10)); x6 = rotl12(v128.xor(x6, x11));
    x7 = rotl12(v128.xor(x7, x8)); x4 = rotl12(v128.xor(x4, x9));
    x0 = i32x4.add(x0, x5); x1 = i32x4.add(x1, x6); x2 = i32x4.add(x2, x7); x3 = i32x4.add(x3, x4);
    x15 = rotl8(v128.xor(x15, x0)); x12 = rotl8(v128.xor(x12, x1));
    x13 = rotl8(v128.xor(x13, x2)); x14 = rotl8(v128.xor(x14, x3));
    x10 = i32x4.add(x10, x15); x11 = i32x4.add(x11, x12); x8 = i32x4.add(x8, x13); x9 = i32x4.add(x9, x14);
    x5 = rotl7(v128.xor(x5, x10)); x6 = rotl7(v128.xor(x6, x11));
    x7 = rotl7(v128.xor(x7, x8)); x4 = rotl7(v128.xor(x4, x9));
    }

  emit4(i32x4.add(x0, c0), i32x4.add(x1, c1), i32x4.add(x2, c2), i32x4.add(x3, c3), src, dst, 0);
  emit4(i32x4.add(x4, k0), i32x4.add(x5, k1), i32x4.add(x6, k2), i32x4.add(x7, k3), src, dst, 16);
  emit4(i32x4.add(x8, k4), i32x4.add(x9, k5), i32x4.add(x10, k6), i32x4.add(x11, k7), src, dst, 32);
  emit4(i32x4.add(x12, ctr), i32x4.add(x13, n0), i32x4.add(x14, n1), i32x4.add(x15, n2), src, dst, 48);
}

/** dst[i] = a[i] ^ b[i] for i < len; 16 bytes at a time, then byte by byte. dst may equal a. */
function xor3(dst: usize, a: usize, b: usize, len: usize): void {
  let i: usize = 0;
  const vectorEnd = len & ~(<usize>15);
  for (; i < vectorEnd; i += 16) {
    v128.store(dst + i, v128.xor(v128.load(a + i), v128.load(b + i)));
  }
  for (; i < len; i++) {
    store<u8>(dst + i, load<u8>(a + i) ^ load<u8>(b + i));
  }
}

/** Zeroes a 16-byte-aligned scratch area whose length is a multiple of 16. */
// @ts-ignore: decorator
@inline function wipe16(ptr: usize, len: usize): void {
  for (let i: usize = 0; i < len; i += 16) v128.store(ptr + i, i64x2.splat(0));
}

/**
 * RFC 8439 section 2.4 ChaCha20: dst = src XOR keystream starting at block `counter`.
 * key: 32 bytes, nonce: 12 bytes. src may equal dst. The caller ensures that no block counter
 * used exceeds 2^32 - 1.
 */
export function chacha20Xor(key: usize, nonce: usize, counter: u32, src: usize, dst: usize, len: usize): void {
  let off: usize = 0;
  const full = len & ~(<usize>255);
  for (; off < full; off += 256) {
    block4(key, nonce, counter, src + off, dst + off);
    counter += 4;
  }
  if (off < len) {
    block4(key, nonce, counter, ZERO256, KS);
    xor3(dst + off, src + off, KS, len - off);
    wipe16(KS, 256);
  }
}

// ---------------------------------------------------------------- Poly1305

// Accumulator h, clamped r and s = 5 * r (limbs 1..4) in 26-bit limbs, and the final pad.
// Globals, not linear memory; zeroed by polyFinish.
let h0: u64 = 0, h1: u64 = 0, h2: u64 = 0, h3: u64 = 0, h4: u64 = 0;
let r0: u64 = 0, r1: u64 = 0, r2: u64 = 0, r3: u64 = 0, r4: u64 = 0;
let pad0: u64 = 0, pad1: u64 = 0, pad2: u64 = 0, pad3: u64 = 0;

/** Starts a MAC with the 32-byte one-time key r || s at `key`. */
function polyInit(key: usize): void {
  r0 = <u64>(load<u32>(key, 0) & 0x3ffffff);
  r1 = <u64>((load<u32>(key, 3) >> 2) & 0x3ffff03);
  r2 = <u64>((load<u32>(key, 6) >> 4) & 0x3ffc0ff);
  r3 = <u64>((load<u32>(key, 9) >> 6) & 0x3f03fff);
  r4 = <u64>((load<u32>(key, 12) >> 8) & 0x00fffff);
  pad0 = <u64>load<u32>(key, 16);
  pad1 = <u64>load<u32>(key, 20);
  pad2 = <u64>load<u32>(key, 24);
  pad3 = <u64>load<u32>(key, 28);
  h0 = 0; h1 = 0; h2 = 0; h3 = 0; h4 = 0;
}

/** Absorbs `blocks` 16-byte blocks at m; hibit is 2^128 in limb 4 (1 << 24) or 0 for the raw final block. */
function polyBlocks(m: usize, blocks: usize, hibit: u64): void {
  const R0 = r0, R1 = r1, R2 = r2, R3 = r3, R4 = r4;
  const S1 = R1 * 5, S2 = R2 * 5, S3 = R3 * 5, S4 = R4 * 5;
  let a0 = h0, a1 = h1, a2 = h2, a3 = h3, a4 = h4;
  const end = m + (blocks << 4);
  for (; m < end; m += 16) {
    const lo = load<u64>(m, 0);
    const hi = load<u64>(m, 8);
    a0 += lo & MASK26;
    a1 += (lo >> 26) & MASK26;
    a2 += ((lo >> 52) | (hi << 12)) & MASK26;
    a3 += (hi >> 14) & MASK26;
    a4 += (hi >> 40) | hibit;

    const d0 = a0 * R0 + a1 * S4 + a2 * S3 + a3 * S2 + a4 * S1;
    let d1 = a0 * R1 + a1 * R0 + a2 * S4 + a3 * S3 + a4 * S2;
    let d2 = a0 * R2 + a1 * R1 + a2 * R0 + a3 * S4 + a4 * S3;
    let d3 = a0 * R3 + a1 * R2 + a2 * R1 + a3 * R0 + a4 * S4;
    let d4 = a0 * R4 + a1 * R3 + a2 * R2 + a3 * R1 + a4 * R0;

    a0 = d0 & MASK26; d1 += d0 >> 26;
    a1 = d1 & MASK26; d2 += d1 >> 26;
    a2 = d2 & MASK26; d3 += d2 >> 26;
    a3 = d3 & MASK26; d4 += d3 >> 26;
    a4 = d4 & MASK26;
    a0 += (d4 >> 26) * 5;
    a1 += a0 >> 26;
    a0 &= MASK26;
  }
  h0 = a0; h1 = a1; h2 = a2; h3 = a3; h4 = a4;
}

/** Absorbs len bytes zero-padded to a multiple of 16 (the AEAD's pad16). */
function polyPadded(m: usize, len: usize): void {
  polyBlocks(m, len >> 4, HIBIT);
  const rest = len & 15;
  if (rest != 0) {
    v128.store(PAD, i64x2.splat(0));
    memory.copy(PAD, m + (len & ~(<usize>15)), rest);
    polyBlocks(PAD, 1, HIBIT);
  }
}

/** Completes the MAC, writes the 16-byte tag to out and zeroes the limbs, r and the pad. */
function polyFinish(out: usize): void {
  // PAD is done with (it held the last padded block); clear it first, since out may be PAD.
  v128.store(PAD, i64x2.splat(0));
  let a0 = h0, a1 = h1, a2 = h2, a3 = h3, a4 = h4;
  // Two full carry passes: afterwards every limb is below 2^26 and h < 2^130. (One pass can
  // leave a limb at exactly 2^26 when a carry ripples through limbs that were all ones.)
  for (let pass = 0; pass < 2; pass++) {
    a1 += a0 >> 26; a0 &= MASK26;
    a2 += a1 >> 26; a1 &= MASK26;
    a3 += a2 >> 26; a2 &= MASK26;
    a4 += a3 >> 26; a3 &= MASK26;
    a0 += (a4 >> 26) * 5; a4 &= MASK26;
  }

  // g = h + 5 - 2^130; take g when it is not negative (h >= p), by mask, not by branch.
  let g0 = a0 + 5;
  let g1 = a1 + (g0 >> 26); g0 &= MASK26;
  let g2 = a2 + (g1 >> 26); g1 &= MASK26;
  let g3 = a3 + (g2 >> 26); g2 &= MASK26;
  let g4 = a4 + (g3 >> 26) - (<u64>1 << 26); g3 &= MASK26;
  // g4's sign bit (bit 63) is 1 when h < p: then keep h.
  const keepG = (g4 >> 63) - 1; // all ones when g4 >= 0, zero otherwise
  const keepH = ~keepG;
  a0 = (a0 & keepH) | (g0 & keepG);
  a1 = (a1 & keepH) | (g1 & keepG);
  a2 = (a2 & keepH) | (g2 & keepG);
  a3 = (a3 & keepH) | (g3 & keepG);
  a4 = (a4 & keepH) | (g4 & keepG & MASK26);

  // h mod 2^128 as four 32-bit words, plus the pad s, mod 2^128.
  const w0 = (a0 | (a1 << 26)) & 0xffffffff;
  const w1 = ((a1 >> 6) | (a2 << 20)) & 0xffffffff;
  const w2 = ((a2 >> 12) | (a3 << 14)) & 0xffffffff;
  const w3 = ((a3 >> 18) | (a4 << 8)) & 0xffffffff;
  let f = w0 + pad0;
  store<u32>(out, <u32>f, 0);
  f = w1 + pad1 + (f >> 32);
  store<u32>(out, <u32>f, 4);
  f = w2 + pad2 + (f >> 32);
  store<u32>(out, <u32>f, 8);
  f = w3 + pad3 + (f >> 32);
  store<u32>(out, <u32>f, 12);

  h0 = 0; h1 = 0; h2 = 0; h3 = 0; h4 = 0;
  r0 = 0; r1 = 0; r2 = 0; r3 = 0; r4 = 0;
  pad0 = 0; pad1 = 0; pad2 = 0; pad3 = 0;
}

/**
 * RFC 8439 section 2.5 Poly1305: the 16-byte tag of msg[0..len) under the 32-byte one-time
 * key, written to out (which may overlap neither key nor msg).
 */
export function poly1305Mac(key: usize, msg: usize, len: usize, out: usize): void {
  polyInit(key);
  polyBlocks(msg, len >> 4, HIBIT);
  const rest = len & 15;
  if (rest != 0) {
    // Final partial block: the bytes, then 0x01, then zeros; no 2^128 bit.
    v128.store(PAD, i64x2.splat(0));
    memory.copy(PAD, msg + (len & ~(<usize>15)), rest);
    store<u8>(PAD + rest, 1);
    polyBlocks(PAD, 1, 0);
  }
  polyFinish(out);
}

// ---------------------------------------------------------------- AEAD (RFC 8439 section 2.8)

/** MACs aad || pad16 || ct || pad16 || le64(aadLen) || le64(ctLen); polyInit(KS) came first. */
function aeadTag(aad: usize, aadLen: usize, ct: usize, ctLen: usize, out: usize): void {
  polyPadded(aad, aadLen);
  polyPadded(ct, ctLen);
  store<u64>(PAD, <u64>aadLen, 0);
  store<u64>(PAD, <u64>ctLen, 8);
  polyBlocks(PAD, 1, HIBIT);
  polyFinish(out);
}

/**
 * XORs len bytes from src into dst with the payload keystream: blocks 1..3 come from KS (the
 * batch that also yielded the one-time key), the rest from counter 4 on.
 */
function aeadXor(key: usize, nonce: usize, src: usize, dst: usize, len: usize): void {
  const first = len < 192 ? len : 192;
  xor3(dst, src, KS + 64, first);
  if (len > 192) chacha20Xor(key, nonce, 4, src + 192, dst + 192, len - 192);
}

/**
 * Seals: dst[0..len) = ChaCha20(key, nonce, counter 1) XOR src[0..len), dst[len..len+16) = tag.
 * src may equal dst; aad must not overlap dst.
 */
export function aeadSeal(key: usize, nonce: usize, aad: usize, aadLen: usize, src: usize, len: usize, dst: usize): void {
  block4(key, nonce, 0, ZERO256, KS);
  // Take the one-time key now: the payload's tail batch reuses (and wipes) KS.
  polyInit(KS);
  aeadXor(key, nonce, src, dst, len);
  aeadTag(aad, aadLen, dst, len, dst + len);
  wipe16(KS, 256);
}

/**
 * Opens: verifies the tag at tag[0..16) over aad and ct[0..len) in constant time; when it
 * matches, writes the plaintext to dst (dst may equal ct) and returns 1. Otherwise writes
 * nothing and returns 0.
 */
export function aeadOpen(key: usize, nonce: usize, aad: usize, aadLen: usize, ct: usize, len: usize, tag: usize, dst: usize): i32 {
  block4(key, nonce, 0, ZERO256, KS);
  polyInit(KS);
  const expected = PAD; // polyFinish clears PAD before it stores the tag there
  aeadTag(aad, aadLen, ct, len, expected);
  const diff = v128.xor(v128.load(expected), v128.load(tag));
  v128.store(PAD, i64x2.splat(0));
  // any_true reduces all 128 bits at once; only the accept/reject bit leaves it.
  const ok: i32 = v128.any_true(diff) ? 0 : 1;
  if (ok) aeadXor(key, nonce, ct, dst, len);
  wipe16(KS, 256);
  return ok;
}
