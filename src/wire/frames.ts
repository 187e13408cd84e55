/**
 * Control frames, the plaintext of a CONTROL packet: one type byte, then the frame's fields
 * (layouts in PROTOCOL.md §6). A body is one or more frames back to back; an unknown frame type
 * makes the whole body invalid, since its length cannot be known.
 */
import {
  FINISHED_LENGTH,
  FrameType,
  MAX_CLOSE_REASON_BYTES,
  MAX_MESSAGE_NUMBER,
  MAX_PACKET_NUMBER,
  MAX_VARINT4,
} from './constants.js';
import type { DecodeResult } from './errors.js';
import { fail, ok } from './errors.js';
import { checkRanges, rangeTailLength, readRangeTail, writeRangeTail } from './ranges.js';
import { ByteReader } from './reader.js';
import type { ControlFrame, PacketRange } from './types.js';
import { varintLength } from './varint.js';
import { ByteWriter } from './writer.js';

/** ACK delay rides in microseconds; the API speaks milliseconds. */
const MICROS_PER_MS = 1000;
const utf8 = new TextEncoder();
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * UTF-8 bytes of a CLOSE reason, cut to at most MAX_CLOSE_REASON_BYTES at a character boundary
 * (a sender may say less; it may not send more).
 */
export function closeReasonBytes(reason: string): Uint8Array {
  const bytes = utf8.encode(reason);
  if (bytes.length <= MAX_CLOSE_REASON_BYTES) return bytes;
  let cut = MAX_CLOSE_REASON_BYTES;
  while (cut > 0 && ((bytes[cut] as number) & 0xc0) === 0x80) cut--;
  return bytes.subarray(0, cut);
}

function largestOf(ranges: readonly PacketRange[]): number {
  return (ranges[0] as PacketRange).largest;
}

function isTime(value: number): boolean {
  return Number.isFinite(value);
}

/** Why `frame` cannot be encoded, or undefined. */
function checkFrame(frame: ControlFrame): string | undefined {
  switch (frame.type) {
    case 'ack':
      if (!isTime(frame.ackDelay) || frame.ackDelay < 0 || frame.ackDelay * MICROS_PER_MS > Number.MAX_SAFE_INTEGER) {
        return 'ackDelay: finite, >= 0';
      }
      return checkRanges(frame.ranges);
    case 'nack':
      return checkRanges(frame.ranges);
    case 'probe':
      if (!Number.isSafeInteger(frame.id) || frame.id < 0) return 'probe id: safe integer >= 0';
      return isTime(frame.sendTime) ? undefined : 'sendTime: finite';
    case 'echo':
      if (!Number.isSafeInteger(frame.id) || frame.id < 0) return 'echo id: safe integer >= 0';
      if (!isTime(frame.echoedSendTime)) return 'echoedSendTime: finite';
      return isTime(frame.holdTime) && frame.holdTime >= 0 ? undefined : 'holdTime: finite, >= 0';
    case 'cancel':
      if (frame.messageNumbers.length === 0) return 'cancel: at least one message number';
      for (const n of frame.messageNumbers) {
        if (!Number.isInteger(n) || n < 0 || n > MAX_MESSAGE_NUMBER) return 'cancel: message number outside 0..2^30-1';
      }
      return undefined;
    case 'cancel-result':
      if (frame.completed.length + frame.abandoned.length === 0) return 'cancel-result: at least one message number';
      for (const n of [...frame.completed, ...frame.abandoned]) {
        if (!Number.isInteger(n) || n < 0 || n > MAX_MESSAGE_NUMBER) return 'cancel-result: message number outside 0..2^30-1';
      }
      return undefined;
    case 'close':
      return Number.isInteger(frame.code) && frame.code >= 0 && frame.code <= MAX_VARINT4
        ? undefined
        : 'close code outside 0..2^30-1';
    case 'finished':
      return frame.verifyData.length === FINISHED_LENGTH ? undefined : 'verifyData: 32 bytes';
    default:
      return 'unknown frame type';
  }
}

function frameLength(frame: ControlFrame, reason: Uint8Array | undefined): number {
  switch (frame.type) {
    case 'ack':
      return (
        1 +
        varintLength(largestOf(frame.ranges)) +
        varintLength(Math.round(frame.ackDelay * MICROS_PER_MS)) +
        rangeTailLength(frame.ranges)
      );
    case 'nack':
      return 1 + varintLength(largestOf(frame.ranges)) + rangeTailLength(frame.ranges);
    case 'probe':
      return 1 + varintLength(frame.id) + 8;
    case 'echo':
      return 1 + varintLength(frame.id) + 16;
    case 'cancel':
      return 1 + numberListLength(frame.messageNumbers);
    case 'cancel-result':
      return 1 + numberListLength(frame.completed) + numberListLength(frame.abandoned);
    case 'close': {
      const length = (reason as Uint8Array).length;
      return 1 + varintLength(frame.code) + varintLength(length) + length;
    }
    case 'finished':
      return 1 + FINISHED_LENGTH;
  }
}

function writeFrame(w: ByteWriter, frame: ControlFrame, reason: Uint8Array | undefined): void {
  switch (frame.type) {
    case 'ack':
      w.u8(FrameType.ACK);
      w.varint(largestOf(frame.ranges));
      w.varint(Math.round(frame.ackDelay * MICROS_PER_MS));
      writeRangeTail(w, frame.ranges);
      return;
    case 'nack':
      w.u8(FrameType.NACK);
      w.varint(largestOf(frame.ranges));
      writeRangeTail(w, frame.ranges);
      return;
    case 'probe':
      w.u8(FrameType.PROBE);
      w.varint(frame.id);
      w.f64(frame.sendTime);
      return;
    case 'echo':
      w.u8(FrameType.ECHO);
      w.varint(frame.id);
      w.f64(frame.echoedSendTime);
      w.f64(frame.holdTime);
      return;
    case 'cancel':
      w.u8(FrameType.CANCEL);
      writeNumberList(w, frame.messageNumbers);
      return;
    case 'cancel-result':
      w.u8(FrameType.CANCEL_RESULT);
      writeNumberList(w, frame.completed);
      writeNumberList(w, frame.abandoned);
      return;
    case 'close': {
      const bytes = reason as Uint8Array;
      w.u8(FrameType.CLOSE);
      w.varint(frame.code);
      w.varint(bytes.length);
      w.put(bytes);
      return;
    }
    case 'finished':
      w.u8(FrameType.FINISHED);
      w.put(frame.verifyData);
      return;
  }
}

/** A varint count, then that many message numbers (CANCEL, CANCEL_RESULT). */
function numberListLength(numbers: readonly number[]): number {
  return numbers.reduce((sum, n) => sum + varintLength(n), varintLength(numbers.length));
}

function writeNumberList(w: ByteWriter, numbers: readonly number[]): void {
  w.varint(numbers.length);
  for (const n of numbers) w.varint(n);
}

function readNumberList(r: ByteReader, what: string, min: number): number[] | undefined {
  const count = r.varint(`${what} count`, Number.MAX_SAFE_INTEGER);
  if (r.error !== undefined) return undefined;
  if (count < min || count > r.remaining) {
    r.fail(count < min ? 'field_range' : 'truncated', `${what} count ${count}`);
    return undefined;
  }
  const numbers: number[] = [];
  for (let i = 0; i < count && r.error === undefined; i++) numbers.push(r.varint(`${what} message number`, MAX_MESSAGE_NUMBER));
  return r.error === undefined ? numbers : undefined;
}

/** Encodes one or more frames as a CONTROL body (plaintext, before sealing). */
export function encodeControlFrames(frames: readonly ControlFrame[]): DecodeResult<Uint8Array> {
  if (frames.length === 0) return fail('empty', 'a CONTROL body needs at least one frame');
  const reasons: (Uint8Array | undefined)[] = [];
  let size = 0;
  for (const frame of frames) {
    const problem = checkFrame(frame);
    if (problem !== undefined) return fail('field_range', problem);
    const reason = frame.type === 'close' ? closeReasonBytes(frame.reason) : undefined;
    reasons.push(reason);
    size += frameLength(frame, reason);
  }
  const w = new ByteWriter(size);
  frames.forEach((frame, i) => writeFrame(w, frame, reasons[i]));
  return ok(w.bytes);
}

/** Encodes a single frame. */
export function encodeControlFrame(frame: ControlFrame): DecodeResult<Uint8Array> {
  return encodeControlFrames([frame]);
}

function readFrame(r: ByteReader): ControlFrame | undefined {
  const type = r.u8('frame type');
  switch (type) {
    case FrameType.ACK: {
      const largest = r.varint('largest', MAX_PACKET_NUMBER);
      const delayMicros = r.varint('ack delay', Number.MAX_SAFE_INTEGER);
      const ranges = readRangeTail(r, largest);
      return { type: 'ack', ackDelay: delayMicros / MICROS_PER_MS, ranges };
    }
    case FrameType.NACK:
      return { type: 'nack', ranges: readRangeTail(r, r.varint('largest', MAX_PACKET_NUMBER)) };
    case FrameType.PROBE:
      return { type: 'probe', id: r.varint('probe id', Number.MAX_SAFE_INTEGER), sendTime: r.f64('sendTime') };
    case FrameType.ECHO: {
      const id = r.varint('echo id', Number.MAX_SAFE_INTEGER);
      const echoedSendTime = r.f64('echoedSendTime');
      const holdTime = r.f64('holdTime');
      if (holdTime < 0) r.fail('field_range', 'holdTime below 0');
      return { type: 'echo', id, echoedSendTime, holdTime };
    }
    case FrameType.CANCEL: {
      const messageNumbers = readNumberList(r, 'cancel', 1);
      return messageNumbers && { type: 'cancel', messageNumbers };
    }
    case FrameType.CANCEL_RESULT: {
      const completed = readNumberList(r, 'cancel-result completed', 0);
      const abandoned = completed && readNumberList(r, 'cancel-result abandoned', 0);
      if (!completed || !abandoned) return undefined;
      if (completed.length + abandoned.length === 0) {
        r.fail('field_range', 'cancel-result names no message');
        return undefined;
      }
      return { type: 'cancel-result', completed, abandoned };
    }
    case FrameType.CLOSE: {
      const code = r.varint('close code', MAX_VARINT4);
      const length = r.varint('reason length', MAX_CLOSE_REASON_BYTES);
      const bytes = r.take('reason', length);
      if (r.error !== undefined) return undefined;
      try {
        return { type: 'close', code, reason: strictUtf8.decode(bytes) };
      } catch {
        r.fail('invalid_utf8', 'close reason is not UTF-8');
        return undefined;
      }
    }
    case FrameType.FINISHED:
      return { type: 'finished', verifyData: r.take('verifyData', FINISHED_LENGTH) };
    default:
      r.fail('unknown_type', `frame type 0x${type.toString(16)}`);
      return undefined;
  }
}

/** Decodes a CONTROL body: at least one frame, every byte accounted for. */
export function decodeControlFrames(body: Uint8Array): DecodeResult<ControlFrame[]> {
  if (body.length === 0) return fail('empty', 'a CONTROL body needs at least one frame');
  const r = new ByteReader(body);
  const frames: ControlFrame[] = [];
  while (r.remaining > 0) {
    const frame = readFrame(r);
    if (r.error !== undefined || frame === undefined) break;
    frames.push(frame);
  }
  if (r.error !== undefined) return { ok: false, error: r.error };
  return ok(frames);
}

/** Decodes a body holding exactly one frame. */
export function decodeControlFrame(bytes: Uint8Array): DecodeResult<ControlFrame> {
  const result = decodeControlFrames(bytes);
  if (!result.ok) return result;
  if (result.value.length !== 1) return fail('trailing_bytes', 'more than one frame');
  return ok(result.value[0] as ControlFrame);
}
