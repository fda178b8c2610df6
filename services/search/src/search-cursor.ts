import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { InvalidArgumentError } from '@feedmesh/errors';
import type { CorpusStats, SearchQuery, SortKey } from './engine/index.js';

/**
 * What the pages before this one were served against, and where the last of them ended: the
 * same on every replica, so the next page may be served by any.
 */
export interface PageAnchor {
  /** Only posts created at or before this time, ms (the first page's newest post). */
  readonly createdAtBound: number;
  /** The corpus statistics the first page was scored with. */
  readonly stats: CorpusStats;
  /** The previous page's last hit: the next page lists the hits ranked after it. */
  readonly last: SortKey;
}

/** Where the next page starts, bound to the query it was issued for. */
export interface CursorPosition {
  /** Hits listed on the pages before (the depth, capped; the CLI numbers hits from it). */
  readonly offset: number;
  /** Absent in cursors issued before it (version 1), which page by offset and document id. */
  readonly anchor?: PageAnchor;
  /** Version 1: the index's highest document id when the first page was served (local to a replica). */
  readonly maxDoc?: number;
  /** Version 1: the index's compaction count then. */
  readonly generation?: number;
}

/** Version 1: offset and a document-id bound, local to the replica that served page 1. */
interface CursorBodyV1 {
  readonly v: 1;
  /** Query fingerprint. */
  readonly f: string;
  readonly o: number;
  readonly m: number;
  readonly g: number;
}

/** Version 2: offset (for the depth cap) and a `PageAnchor`, the same on every replica. */
interface CursorBodyV2 {
  readonly v: 2;
  readonly f: string;
  readonly o: number;
  /** `createdAtBound`. */
  readonly t: number;
  /** `stats`: docs, text, tags and blog-name length sums. */
  readonly n: readonly [number, number, number, number];
  /** `stats.termDocs` as [term, df] pairs. */
  readonly d: readonly (readonly [string, number])[];
  /** `stats.phraseDocs`. */
  readonly p: readonly number[];
  /** `last`: matched clauses, score, created at, post id. */
  readonly k: readonly [number, number, number, string];
}

type CursorBody = CursorBodyV1 | CursorBodyV2;

const MAC_BYTES = 12;

/**
 * Opaque page cursors: the position and a fingerprint of the query, signed so a cursor this
 * service did not issue, or one issued for another query, is refused rather than read. Every
 * replica must share the secret, since the next page may land on another replica.
 */
export class SearchCursorCodec {
  constructor(private readonly secret: string) {}

  encode(query: SearchQuery, position: CursorPosition): string {
    const f = fingerprint(query);
    const o = position.offset;
    const anchor = position.anchor;
    const body: CursorBody =
      anchor === undefined
        ? { v: 1, f, o, m: position.maxDoc ?? 0, g: position.generation ?? 0 }
        : {
            v: 2,
            f,
            o,
            t: anchor.createdAtBound,
            n: [
              anchor.stats.docs,
              anchor.stats.textLengthSum,
              anchor.stats.tagsLengthSum,
              anchor.stats.blogLengthSum,
            ],
            d: [...anchor.stats.termDocs],
            p: [...anchor.stats.phraseDocs],
            k: [
              anchor.last.matchedClauses,
              anchor.last.score,
              anchor.last.createdAtMs,
              anchor.last.postId,
            ],
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
    if (body.v === 1) return { offset: body.o, maxDoc: body.m, generation: body.g };
    const [docs, textLengthSum, tagsLengthSum, blogLengthSum] = body.n;
    const [matchedClauses, score, createdAtMs, postId] = body.k;
    return {
      offset: body.o,
      anchor: {
        createdAtBound: body.t,
        stats: {
          docs,
          textLengthSum,
          tagsLengthSum,
          blogLengthSum,
          termDocs: new Map(body.d),
          phraseDocs: body.p,
        },
        last: { matchedClauses, score, createdAtMs, postId },
      },
    };
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
    const body = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<
      string,
      unknown
    >;
    if (typeof body.f !== 'string' || !isCount(body.o)) return undefined;
    if (body.v === 1)
      return [body.m, body.g].every(isCount) ? (body as unknown as CursorBodyV1) : undefined;
    if (body.v !== 2 || !isFiniteNumber(body.t)) return undefined;
    const { n, d, p, k } = body;
    const valid =
      Array.isArray(n) &&
      n.length === 4 &&
      n.every(isCount) &&
      Array.isArray(d) &&
      d.every(
        (pair: unknown) =>
          Array.isArray(pair) &&
          pair.length === 2 &&
          typeof pair[0] === 'string' &&
          isCount(pair[1]),
      ) &&
      Array.isArray(p) &&
      p.every(isCount) &&
      Array.isArray(k) &&
      k.length === 4 &&
      isCount(k[0]) &&
      isFiniteNumber(k[1]) &&
      isFiniteNumber(k[2]) &&
      typeof k[3] === 'string';
    return valid ? (body as unknown as CursorBodyV2) : undefined;
  } catch {
    return undefined;
  }
}

function isCount(n: unknown): n is number {
  return Number.isSafeInteger(n) && (n as number) >= 0;
}

function isFiniteNumber(n: unknown): n is number {
  return typeof n === 'number' && Number.isFinite(n);
}
