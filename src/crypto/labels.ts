/**
 * HKDF info labels and hash prefixes (ASCII). Every derived value has its own label, so no two
 * purposes can ever share a key. PROTOCOL.md §5 lists them.
 */
const ascii = (text: string): Uint8Array => new TextEncoder().encode(text);

export const LABEL_COMMIT = ascii('pdu v1 commit');
export const LABEL_I2R = ascii('pdu v1 i2r');
export const LABEL_R2I = ascii('pdu v1 r2i');
export const LABEL_KEY = ascii('pdu v1 key');
export const LABEL_IV = ascii('pdu v1 iv');
export const LABEL_KEY_UPDATE = ascii('pdu v1 ku');
export const LABEL_FINISHED_I = ascii('pdu v1 i finished');
export const LABEL_FINISHED_R = ascii('pdu v1 r finished');
export const LABEL_SAS = ascii('pdu v1 sas');
export const LABEL_UUID = ascii('pdu v1 uuid');
