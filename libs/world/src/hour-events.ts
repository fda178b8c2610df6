import type { eventsv1 } from '@feedmesh/contracts';
import type { WorldParameters } from './world-options.js';

export type Payload = NonNullable<eventsv1.Event['payload']>;

/**
 * Event ids `w<seed>-<world>-<n>`, numbered in emission (time) order from 1. `<world>` is a
 * hash of the parameters that shape the world, so two different worlds (the small preset and
 * the default one, both seed 1) never share an id: consumers skip ids they have applied, and
 * would otherwise drop the second world's events as duplicates. `now` is left out on purpose:
 * the same world generated a minute later is the same cast and posts shifted in time, and
 * publishing it again should not apply it twice.
 */
export class EventIds {
  private next = 1;
  private readonly prefix: string;

  constructor(parameters: WorldParameters) {
    this.prefix = `w${parameters.seed}-${worldHash(parameters)}-`;
  }

  event(atMs: number, payload: Payload): eventsv1.Event {
    const eventId = `${this.prefix}${this.next}`;
    this.next += 1;
    return { eventId, atMs, payload };
  }
}

/** Eight hex digits (FNV-1a, 32 bits) of every parameter but `now`. */
export function worldHash(parameters: WorldParameters): string {
  const { now: _now, ...shape } = parameters;
  const text = JSON.stringify(Object.entries(shape).sort(([a], [b]) => a.localeCompare(b)));
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i += 1) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0).toString(16).padStart(8, '0');
}
/** One hour's events, put in time order before they get their ids. */
export class HourEvents {
  private readonly items: { at: number; payload: Payload }[] = [];

  add(at: number, payload: Payload): void {
    this.items.push({ at: Math.floor(at), payload });
  }

  *drain(ids: EventIds): Generator<eventsv1.Event> {
    // Array.prototype.sort is stable: a session's start stays before its engagements at ties.
    this.items.sort((a, b) => a.at - b.at);
    for (const item of this.items) yield ids.event(item.at, item.payload);
    this.items.length = 0;
  }
}
