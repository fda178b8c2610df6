import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { averagePrecisionAt, mean, ndcgAt, precisionAt } from './ranking-metrics.js';

/**
 * The Cranfield II collection and its protocol, as ../shared/data/README.md and
 * cranfield/SOURCE.md define them: 1,400 documents, 225 queries, graded judgments.
 *
 * Two quirks decide every number: query k of `cranqrel` is the k-th query of `cran.qry` in
 * file order (not its `.I`), and codes run 1 (best) to 4 with -1 meaning not relevant.
 */

export interface CranfieldDocument {
  /** The `.I` number, as the run file writes it. */
  readonly id: string;
  readonly title: string;
  readonly authors: string;
  readonly bibliography: string;
  /** `.W`: the abstract (it repeats the title in most documents). */
  readonly abstract: string;
}

export interface CranfieldQuery {
  /** 1-225, the query's place in cran.qry: what cranqrel and the run file call it. */
  readonly number: number;
  /** The `.I` as written (001, 002, 004, ...): informational only. */
  readonly id: string;
  readonly text: string;
}

export interface CranfieldCollection {
  readonly documents: readonly CranfieldDocument[];
  readonly queries: readonly CranfieldQuery[];
  /** Query number → document id → Cleverdon's code (1-4, or -1). */
  readonly judgments: ReadonlyMap<number, ReadonlyMap<string, number>>;
}

/** The files a Cranfield directory holds. */
export const CRANFIELD_FILES = {
  documents: 'cran.all.1400',
  queries: 'cran.qry',
  judgments: 'cranqrel',
} as const;

/** Reads and parses a directory with cran.all.1400, cran.qry and cranqrel. */
export async function loadCranfield(dir: string): Promise<CranfieldCollection> {
  const [documents, queries, judgments] = await Promise.all([
    readFile(join(dir, CRANFIELD_FILES.documents), 'utf8'),
    readFile(join(dir, CRANFIELD_FILES.queries), 'utf8'),
    readFile(join(dir, CRANFIELD_FILES.judgments), 'utf8'),
  ]);
  const collection = {
    documents: parseCranfieldDocuments(documents),
    queries: parseCranfieldQueries(queries),
    judgments: parseCranfieldJudgments(judgments),
  };
  // Scores are means over the judged queries: an empty file would score 0 or NaN, not fail.
  const empty = (Object.keys(CRANFIELD_FILES) as (keyof typeof CRANFIELD_FILES)[]).find((part) =>
    part === 'judgments' ? collection.judgments.size === 0 : collection[part].length === 0,
  );
  if (empty !== undefined) {
    throw new Error(`${join(dir, CRANFIELD_FILES[empty])}: no ${empty} in it`);
  }
  return collection;
}

interface SmartRecord {
  readonly id: string;
  readonly fields: ReadonlyMap<string, string>;
}

/** SMART-format records: `.I id` starts one, `.X` lines start its fields. */
function parseRecords(text: string): SmartRecord[] {
  const records: SmartRecord[] = [];
  let id: string | undefined;
  let fields = new Map<string, string>();
  let field: string | undefined;
  let lines: string[] = [];
  const closeField = () => {
    if (field !== undefined) fields.set(field, lines.join('\n').trim());
    field = undefined;
    lines = [];
  };
  const closeRecord = () => {
    closeField();
    if (id !== undefined) records.push({ id, fields });
    fields = new Map();
  };
  for (const line of text.replace(/\r/g, '').split('\n')) {
    const start = /^\.I\s+(\S+)\s*$/.exec(line);
    if (start !== null) {
      closeRecord();
      id = start[1];
      continue;
    }
    const marker = /^\.([A-Z])\s*$/.exec(line);
    if (marker !== null) {
      closeField();
      field = marker[1];
      continue;
    }
    if (field !== undefined) lines.push(line);
  }
  closeRecord();
  return records;
}

export function parseCranfieldDocuments(text: string): CranfieldDocument[] {
  return parseRecords(text).map(({ id, fields }) => ({
    id: String(Number(id)),
    title: fields.get('T') ?? '',
    authors: fields.get('A') ?? '',
    bibliography: fields.get('B') ?? '',
    abstract: fields.get('W') ?? '',
  }));
}

export function parseCranfieldQueries(text: string): CranfieldQuery[] {
  return parseRecords(text).map(({ id, fields }, i) => ({
    number: i + 1,
    id,
    text: fields.get('W') ?? '',
  }));
}

/** `query doc code` lines (whitespace separated, a trailing space is common). */
export function parseCranfieldJudgments(text: string): Map<number, Map<string, number>> {
  const judgments = new Map<number, Map<string, number>>();
  text.split('\n').forEach((line, i) => {
    const parts = line.trim().split(/\s+/);
    if (parts.length === 1 && parts[0] === '') return;
    const [query, doc, code] = parts.map(Number);
    if (parts.length !== 3 || !Number.isInteger(query) || !Number.isInteger(doc)) {
      throw new RangeError(`cranqrel line ${i + 1}: expected "query doc code", got "${line}"`);
    }
    if (code === undefined || !Number.isInteger(code) || code === 0 || code < -1 || code > 4) {
      throw new RangeError(`cranqrel line ${i + 1}: code must be 1-4 or -1, got "${parts[2]}"`);
    }
    let perQuery = judgments.get(query as number);
    if (perQuery === undefined) judgments.set(query as number, (perQuery = new Map()));
    perQuery.set(String(doc), code);
  });
  return judgments;
}

/** Graded gain of a code: 5 - code for 1-4 (1 is the best answer), 0 for -1. */
export function cranfieldGrade(code: number): number {
  return code >= 1 && code <= 4 ? 5 - code : 0;
}

/** How many documents a run keeps per query, and the depth MAP is computed at. */
export const CRANFIELD_RUN_DEPTH = 1_000;

export interface CranfieldQueryScore {
  readonly number: number;
  readonly averagePrecision: number;
  readonly precisionAt10: number;
  readonly ndcgAt10: number;
  readonly relevant: number;
}

export interface CranfieldScores {
  /** Mean over every judged query of average precision at 1,000 (codes 1-4 relevant). */
  readonly map: number;
  readonly precisionAt10: number;
  /** Gains 2^(5 - code) - 1, log2 discount. */
  readonly ndcgAt10: number;
  readonly queries: number;
  readonly perQuery: readonly CranfieldQueryScore[];
}

/**
 * Scores a run (query number → document ids, best first) by the README's definitions. Every
 * judged query counts; a query the run has no line for scores 0.
 */
export function scoreCranfieldRun(
  run: ReadonlyMap<number, readonly string[]>,
  judgments: ReadonlyMap<number, ReadonlyMap<string, number>>,
): CranfieldScores {
  const perQuery: CranfieldQueryScore[] = [];
  for (const [number, codes] of [...judgments].sort((a, b) => a[0] - b[0])) {
    const ranked = (run.get(number) ?? []).slice(0, CRANFIELD_RUN_DEPTH);
    const relevant = new Set<string>();
    const gains = new Map<string, number>();
    for (const [doc, code] of codes) {
      const grade = cranfieldGrade(code);
      if (grade > 0) relevant.add(doc);
      gains.set(doc, 2 ** grade - 1);
    }
    perQuery.push({
      number,
      averagePrecision: averagePrecisionAt(ranked, relevant, CRANFIELD_RUN_DEPTH),
      precisionAt10: precisionAt(ranked, relevant, 10),
      ndcgAt10: ndcgAt(ranked, gains, 10),
      relevant: relevant.size,
    });
  }
  return {
    map: mean(perQuery.map((q) => q.averagePrecision)),
    precisionAt10: mean(perQuery.map((q) => q.precisionAt10)),
    ndcgAt10: mean(perQuery.map((q) => q.ndcgAt10)),
    queries: perQuery.length,
    perQuery,
  };
}

/** The run file: `query_number<TAB>doc_id` lines, each query's documents in rank order. */
export function formatCranfieldRun(run: ReadonlyMap<number, readonly string[]>): string {
  const lines: string[] = [];
  for (const [number, docs] of [...run].sort((a, b) => a[0] - b[0])) {
    for (const doc of docs.slice(0, CRANFIELD_RUN_DEPTH)) lines.push(`${number}\t${doc}`);
  }
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
}
