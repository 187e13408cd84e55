import type { PduCore } from './core.js';

/** The TypeScript reference of every core function: the specification the WASM core is tested against. */
export const referenceCore: PduCore = {
  kind: 'reference',
  xorInto(dst, src) {
    if (src.length > dst.length) throw new RangeError('xorInto: src longer than dst');
    for (let i = 0; i < src.length; i++) dst[i] = (dst[i] as number) ^ (src[i] as number);
  },
};
