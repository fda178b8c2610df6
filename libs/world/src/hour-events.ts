import type { eventsv1 } from '@feedmesh/contracts';

export type Payload = NonNullable<eventsv1.Event['payload']>;

/** Event ids `w<seed>-<n>`, numbered in emission (time) order from 1. */
export class EventIds {
  private next = 1;

  constructor(private readonly seed: number) {}

  event(atMs: number, payload: Payload): eventsv1.Event {
    const eventId = `w${this.seed}-${this.next}`;
    this.next += 1;
    return { eventId, atMs, payload };
  }
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
