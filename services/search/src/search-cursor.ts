import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { InvalidArgumentError } from '@feedmesh/errors';
import type { SearchQuery } from './engine/index.js';

/** Where the next page starts, bound to the query it was issued for. */
export interface CursorPosition {
  readonly offset: number;
  /** The index's highest document id when the first page was served (see `PageRequest`). */
  readonly maxDoc: number;
  readonly generation: number;
}

interface CursorBody {
  readonly v: 1;
  /** Query fingerprint. */
  readonly f: string;
  readonly o: number;
  readonly m: number;
  readonly g: number;
}

const MAC_BYTES = 12;

/**
 * Opaque page cursors: the position and a fingerprint of the query, signed so a cursor this
 * service did not issue, or one issued for another query, is refused rather than read. Every
 * replica must share the secret, since the next page may land on another replica.
 */
export class SearchCursorCodec {
  constructor(private readonly secret: string) {}

  encode(query: SearchQuery, position: CursorPosition): string {
    const body: CursorBody = {
      v: 1,
      f: fingerprint(query),
      o: position.offset,
      m: position.maxDoc,
      g: position.generation,
    };
    const payload = Buffer.from(JSON.stringify(body)).toString('base64url');
    return `${payload}.${this.mac(payload).toString('base64url')}`;
  }

  /** The position a cursor names; InvalidArgumentError on `field` for anything else. */
  decode(cursor: string, query: SearchQuery, field = 'cursor'): CursorPosition {
    const [payload, mac, extra] = cursor.split('.');
    if (
      payload === undefined ||
      mac === undefined ||
      extra !== undefined ||
      !this.verify(payload, mac)
    ) {
      throw new InvalidArgumentError(field, 'is not a cursor this service issued');
    }
    const body = parseBody(payload);
    if (body === undefined)
      throw new InvalidArgumentError(field, 'is not a cursor this service issued');
    if (body.f !== fingerprint(query)) {
      throw new InvalidArgumentError(field, 'belongs to a different query; start again without it');
    }
    return { offset: body.o, maxDoc: body.m, generation: body.g };
  }

  private mac(payload: string): Buffer {
    return createHmac('sha256', this.secret).update(payload).digest().subarray(0, MAC_BYTES);
  }

  private verify(payload: string, mac: string): boolean {
    const given = Buffer.from(mac, 'base64url');
    const expected = this.mac(payload);
    return given.length === expected.length && timingSafeEqual(given, expected);
  }
}

/**
 * What makes two requests the same query: its clauses, filters and order, not the page size.
 * Tag filters count as typed: their `tagAlternatives` (canonical forms under the content
 * models of the moment) are left out, so a page 2 served after newer models loaded, or by a
 * replica that has other models, is still accepted.
 */
export function fingerprint(query: SearchQuery): string {
  const canonical = JSON.stringify([
    [...query.terms].sort(),
    query.phrases.map((p) => [p.terms, p.offsets]),
    [...query.tags].sort(),
    [...query.blogs].sort(),
    [...query.blogIds].sort(),
    query.order,
  ]);
  return createHash('sha256').update(canonical).digest('base64url').slice(0, 16);
}

function parseBody(payload: string): CursorBody | undefined {
  try {
    const body = JSON.parse(
      Buffer.from(payload, 'base64url').toString('utf8'),
    ) as Partial<CursorBody>;
    const counts = [body.o, body.m, body.g];
    if (body.v !== 1 || typeof body.f !== 'string') return undefined;
    if (!counts.every((n) => Number.isSafeInteger(n) && (n ?? -1) >= 0)) return undefined;
    return body as CursorBody;
  } catch {
    return undefined;
  }
}
