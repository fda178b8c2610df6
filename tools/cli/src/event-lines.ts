import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { eventsv1 } from '@feedmesh/contracts';

/** One event read from a JSON-lines file, with the (1-based) line it came from. */
export interface EventLine {
  readonly line: number;
  readonly event: eventsv1.Event;
}

/** A line that is not an event; `line` is 1-based, as editors count. */
export class EventLineError extends Error {
  constructor(
    readonly line: number,
    readonly problem: string,
  ) {
    super(`line ${line}: ${problem}`);
    this.name = 'EventLineError';
  }
}

/** The payload fields of Event as JSON may spell them (proto JSON accepts both). */
const PAYLOAD_FIELDS = new Map<string, string>(
  [
    'postCreated',
    'postDeleted',
    'engagement',
    'follow',
    'unfollow',
    'impression',
    'sessionStarted',
    'notificationOpened',
    'blogCreated',
    'block',
    'unblock',
    'notificationSent',
  ].flatMap((name) => [
    [name, name],
    [name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`), name],
  ]),
);
const ENVELOPE_FIELDS = new Set(['eventId', 'event_id', 'atMs', 'at_ms']);

/**
 * Reads JSON lines of events (ts-proto `Event.toJSON`, as `feedmesh world` writes them),
 * skipping blank lines. Checks the shape only: not JSON, not an object, an unknown field, no
 * payload or two. Field values are the gateway's to judge, so there is one set of rules.
 */
export async function* readEventLines(input: Readable): AsyncGenerator<EventLine> {
  const lines = createInterface({ input, crlfDelay: Infinity });
  let line = 0;
  for await (const text of lines) {
    line += 1;
    if (text.trim() === '') continue;
    yield { line, event: parseEventLine(text, line) };
  }
}

export function parseEventLine(text: string, line: number): eventsv1.Event {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new EventLineError(line, `not JSON (${(error as Error).message})`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new EventLineError(line, `expected a JSON object, got ${describe(value)}`);
  }
  const payloads: string[] = [];
  for (const key of Object.keys(value)) {
    const payload = PAYLOAD_FIELDS.get(key);
    if (payload !== undefined) payloads.push(payload);
    else if (!ENVELOPE_FIELDS.has(key)) throw new EventLineError(line, `unknown field "${key}"`);
  }
  if (payloads.length === 0) {
    throw new EventLineError(
      line,
      `no payload: expected one of ${[...new Set(PAYLOAD_FIELDS.values())].join(', ')}`,
    );
  }
  if (payloads.length > 1) {
    throw new EventLineError(line, `more than one payload (${payloads.join(', ')})`);
  }
  const payloadValue = (value as Record<string, unknown>)[
    Object.keys(value).find((k) => PAYLOAD_FIELDS.has(k)) as string
  ];
  if (typeof payloadValue !== 'object' || payloadValue === null || Array.isArray(payloadValue)) {
    throw new EventLineError(
      line,
      `${payloads[0]} must be an object, got ${describe(payloadValue)}`,
    );
  }
  let event: eventsv1.Event;
  try {
    event = eventsv1.Event.fromJSON(value);
  } catch (error) {
    throw new EventLineError(line, `not an event (${(error as Error).message})`);
  }
  if (!Number.isSafeInteger(event.atMs) || event.atMs < 0) {
    throw new EventLineError(line, 'atMs must be an integer number of ms since the epoch');
  }
  return event;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}
