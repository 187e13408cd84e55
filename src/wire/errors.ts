/** Why a datagram or frame could not be decoded (or a value could not be encoded). */
export type WireErrorCode =
  | 'truncated'
  | 'unknown_version'
  | 'unknown_type'
  | 'reserved_bits'
  | 'field_range'
  | 'trailing_bytes'
  | 'invalid_utf8'
  | 'empty';

/** A typed decoding error; `version` is set on `unknown_version` so the engine can answer it. */
export interface WireError {
  code: WireErrorCode;
  message: string;
  version?: number;
}

/** Result of every decoder (and encoder): decoders never throw on peer input. */
export type DecodeResult<T> = { ok: true; value: T } | { ok: false; error: WireError };

export function ok<T>(value: T): DecodeResult<T> {
  return { ok: true, value };
}

export function fail<T>(code: WireErrorCode, message: string): DecodeResult<T> {
  return { ok: false, error: { code, message } };
}
