import { constants } from 'node:fs';
import { access, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import {
  CRANFIELD_RUN_DEPTH,
  formatCranfieldRun,
  loadCranfield,
  scoreCranfieldRun,
  type CranfieldScores,
} from '@feedmesh/evaluation';
import { performance } from 'node:perf_hooks';
import { InvalidArgumentError } from '@feedmesh/errors';
import {
  DEFAULT_BM25F,
  parseQueryText,
  SearchIndex,
  type FeedbackParams,
  type SearchIndexOptions,
} from '../engine/index.js';

/**
 * RM3 as Anserini runs it by default (fbDocs 10, fbTerms 10, original query weight 0.5):
 * published defaults, not tuned on Cranfield.
 */
export const CRANFIELD_FEEDBACK: FeedbackParams = { docs: 10, terms: 10, originalWeight: 0.5 };

export interface CranfieldEvalOptions {
  /** A directory with cran.all.1400, cran.qry and cranqrel. */
  readonly dir: string;
  /** Where to write the run (`query_number<TAB>doc_id` lines); nothing is written when absent. */
  readonly runPath?: string;
  /**
   * Engine settings over the evaluation's defaults: Lucene's BM25 (k1 1.2, b 0.75), no
   * coordination tiers (plain BM25F ranks long queries better), RM3 feedback on.
   */
  readonly index?: SearchIndexOptions;
  /** false: plain BM25, the first pass alone. Default true (`CRANFIELD_FEEDBACK`). */
  readonly feedback?: boolean;
}

export interface CranfieldEvalReport {
  readonly documents: number;
  readonly queries: number;
  /** Queries with relevance judgments: the scores are means over these. */
  readonly judgedQueries: number;
  readonly map: number;
  readonly precisionAt10: number;
  readonly ndcgAt10: number;
  readonly indexMs: number;
  readonly searchMs: number;
  readonly runPath?: string;
  /** The engine settings that produced these numbers. */
  readonly settings: {
    readonly k1: number;
    readonly b: number;
    readonly coordination: string;
    readonly feedback: FeedbackParams | undefined;
  };
  readonly scores: CranfieldScores;
}

/**
 * The Cranfield evaluation: indexes the 1,400 documents (title and abstract as the post's
 * text) in the real engine, runs the 225 queries in file order (top 1,000 each), and scores
 * the run as ../shared/data/README.md defines MAP, P@10 and nDCG@10.
 */
export async function runCranfieldEval(
  options: CranfieldEvalOptions,
): Promise<CranfieldEvalReport> {
  if (options.runPath !== undefined) await checkWritableFolder(options.runPath);
  const collection = await loadCranfield(options.dir).catch((error: unknown) => {
    throw new InvalidArgumentError(
      'cranfield',
      `cannot read the collection in ${options.dir}: ${(error as Error).message}`,
    );
  });
  const feedback = options.feedback === false ? undefined : CRANFIELD_FEEDBACK;
  const settings: SearchIndexOptions = {
    coordination: 'none',
    ...(feedback === undefined ? {} : { feedback }),
    ...options.index,
  };
  const index = new SearchIndex(settings);
  let started = performance.now();
  for (const doc of collection.documents) {
    index.addPost({
      postId: doc.id,
      blogId: 'cranfield',
      text: `${doc.title}\n${doc.abstract}`,
      tags: [],
      createdAtMs: 0,
    });
  }
  const indexMs = performance.now() - started;
  started = performance.now();
  const run = new Map<number, string[]>();
  for (const query of collection.queries) {
    const parsed = parseQueryText(query.text, index.analyzer);
    const result = index.search(
      { ...parsed, blogIds: [], order: 'relevance' },
      { offset: 0, limit: CRANFIELD_RUN_DEPTH, highlight: false },
    );
    run.set(
      query.number,
      result.hits.map((hit) => hit.postId),
    );
  }
  const searchMs = performance.now() - started;
  const scores = scoreCranfieldRun(run, collection.judgments);
  if (options.runPath !== undefined) await writeFile(options.runPath, formatCranfieldRun(run));
  return {
    documents: collection.documents.length,
    queries: collection.queries.length,
    judgedQueries: scores.queries,
    map: scores.map,
    precisionAt10: scores.precisionAt10,
    ndcgAt10: scores.ndcgAt10,
    indexMs,
    searchMs,
    ...(options.runPath === undefined ? {} : { runPath: options.runPath }),
    settings: {
      k1: settings.bm25f?.k1 ?? DEFAULT_BM25F.k1,
      b: settings.bm25f?.text.b ?? DEFAULT_BM25F.text.b,
      coordination: settings.coordination ?? 'tiered',
      feedback: settings.feedback,
    },
    scores,
  };
}

/** The run file's folder must exist before the evaluation runs, not be found missing after. */
async function checkWritableFolder(path: string): Promise<void> {
  try {
    await access(dirname(path), constants.W_OK);
  } catch (error) {
    throw new InvalidArgumentError(
      'run',
      `cannot write ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
  }
}
