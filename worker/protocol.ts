// Messages between the host (main thread) and the PDU worker. Byte arrays are transferred, not copied.

export type WorkerRequest =
  | { type: 'core-info'; id: number }
  | { type: 'xor'; id: number; dst: Uint8Array; src: Uint8Array };

export type WorkerReply =
  | { type: 'core-info'; id: number; kind: 'wasm' | 'reference'; fallbackReason: string | undefined }
  | { type: 'xor'; id: number; result: Uint8Array };
