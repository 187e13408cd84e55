/**
 * The router process's control channel: JSON lines on its stdin (requests) and stdout (the
 * ready line, then one response per request, matched by id). A pipe to the owner rather than a
 * socket: nothing else can reach it, and the router exits when its owner goes away (stdin ends).
 */
import type { LinkSpec } from './link-spec.js';
import type { Direction, RouterCounters } from './router.js';

export type ControlRequest =
  | { id: number; op: 'configure'; direction: Direction | 'both'; spec: LinkSpec }
  | { id: number; op: 'counters' };

export type ControlResponse =
  | { id: number; ok: true; counters?: RouterCounters }
  | { id: number; ok: false; error: string };

/** First line on stdout once both ports are bound. */
export interface ReadyLine {
  ready: true;
  ports: { a: number; b: number };
}

