import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { commonv1, eventsv1 } from '@feedmesh/contracts';

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
 * skipping blank lines. Checks the shape only: not JSON, not an object, an unknown field (at
 * any depth), an enum value no enum has, no payload or two. Other field values are the
 * gateway's to judge, so there is one set of rules.
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
  const payloadValue = (value as JsonObject)[
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
  const payloadKey = Object.keys(value).find((k) => PAYLOAD_FIELDS.has(k)) as string;
  checkFields(value as JsonObject, [payloadKey], payloadKey, line, event.payload?.value);
  if (!Number.isSafeInteger(event.atMs) || event.atMs < 0) {
    throw new EventLineError(line, 'atMs must be an integer number of ms since the epoch');
  }
  return event;
}

type JsonObject = Record<string, unknown>;
type JsonPath = readonly (string | number)[];

/**
 * ts-proto's fromJSON drops fields it does not know and turns an enum name it does not know
 * into -1, so a misspelt field would vanish and a misspelt enum reach the gateway as "unknown
 * value -1". Checks the object at `path` (under the event's payload) against what it decodes
 * to: every field it has must be one the message has, every enum value one the enum has.
 */
function checkFields(
  event: JsonObject,
  path: JsonPath,
  name: string,
  line: number,
  decodedValue: unknown,
): void {
  const json = valueAt(event, path) as JsonObject;
  const decoded = decodedValue as JsonObject;
  for (const [key, value] of Object.entries(json)) {
    const field = `${name}.${key}`;
    const camel = key.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
    if (!Object.hasOwn(decoded, camel)) throw new EventLineError(line, `unknown field "${field}"`);
    const inner = decoded[camel];
    if (isObject(value) && isObject(inner)) {
      checkFields(event, [...path, key], field, line, inner);
    } else if (Array.isArray(value) && Array.isArray(inner)) {
      value.forEach((item, i) => {
        if (isObject(item) && isObject(inner[i])) {
          checkFields(event, [...path, key, i], `${field}[${i}]`, line, inner[i]);
        }
      });
    } else if (inner === -1 && (typeof value === 'string' || typeof value === 'number')) {
      const known = enumAt(event, [...path, key]);
      if (known !== undefined) {
        throw new EventLineError(
          line,
          `${field}: unknown value ${JSON.stringify(value)}; expected one of ${known.join(', ')}`,
        );
      }
    }
  }
}

/** Every enum an event can hold, as ts-proto generates them (UNRECOGNIZED = -1). */
const ENUMS = ([...Object.values(commonv1), ...Object.values(eventsv1)] as unknown[]).filter(
  (candidate): candidate is Record<string, string | number> =>
    isObject(candidate) && candidate['UNRECOGNIZED'] === -1,
);

/**
 * The names the enum field at `path` accepts, but its unset (0) one; undefined when it is no
 * enum (a number field holding -1). Found by trying each enum's names there.
 */
function enumAt(event: JsonObject, path: JsonPath): string[] | undefined {
  for (const candidate of ENUMS) {
    const names = Object.keys(candidate).filter(
      (k) => typeof candidate[k] === 'number' && k !== 'UNRECOGNIZED',
    );
    const probe = names.find((k) => candidate[k] !== 0);
    if (probe !== undefined && decodedAt(event, path, probe) === candidate[probe]) {
      return names.filter((k) => candidate[k] !== 0);
    }
  }
  return undefined;
}

function valueAt(event: JsonObject, path: JsonPath): unknown {
  let value: unknown = event;
  for (const step of path) value = (value as Record<string | number, unknown>)[step];
  return value;
}

/** What `Event.fromJSON` makes of the event with `replacement` at `path`, at that path. */
function decodedAt(event: JsonObject, path: JsonPath, replacement: unknown): unknown {
  const copy = structuredClone(event);
  const parent = valueAt(copy, path.slice(0, -1)) as Record<string | number, unknown>;
  parent[path[path.length - 1] as string | number] = replacement;
  let decoded: unknown = eventsv1.Event.fromJSON(copy).payload?.value;
  for (const step of path.slice(1)) {
    const key =
      typeof step === 'string'
        ? step.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase())
        : step;
    decoded = (decoded as Record<string | number, unknown> | undefined)?.[key];
  }
  return decoded;
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}
