/**
 * Byte comparison whose running time depends only on the lengths, for every place where a secret
 * (a MAC, a commitment) meets attacker input. Lengths are public in PDU, so they may short-circuit.
 */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let i = 0; i < a.length; i++) difference |= (a[i] as number) ^ (b[i] as number);
  return difference === 0;
}
