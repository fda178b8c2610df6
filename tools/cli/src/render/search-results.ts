import { gatewayv1, type searchv1 } from '@feedmesh/contracts';
import type { RenderOptions } from './feed-table.js';
import { clip, counted, feedmeshCommand, formatScore, formatTime } from './text.js';

export interface SearchQuery {
  readonly query: string;
  readonly userId?: string | undefined;
  readonly tags: readonly string[];
  readonly blogId?: string | undefined;
  /** The CLI's name for the order: `relevance` or `recency`. */
  readonly order: string;
  readonly pageSize: number;
  readonly address?: string | undefined;
  /** The cursor this page was asked with; empty or undefined for the first page. */
  readonly cursor?: string | undefined;
}

const SNIPPET_WIDTH = 200;

/** Search hits for people: each hit's ids, score, time and tags, then its highlights. */
export function renderSearch(
  response: gatewayv1.SearchResponse,
  query: SearchQuery,
  options: RenderOptions,
): string {
  const ranking = gatewayv1.searchRankingToJSON(response.ranking).replace('SEARCH_RANKING_', '');
  const lines = [
    `${counted(response.totalHits, 'hit')} for ${JSON.stringify(query.query)} · ` +
      `ranking ${ranking.toLowerCase()} · request ${response.requestId || '-'}`,
  ];
  const firstPosition = 1 + pageOffset(query.cursor ?? '');
  response.hits.forEach((hit, i) => {
    const tags = hit.tags.map((t) => `#${t}`).join(' ');
    lines.push(
      `${String(firstPosition + i).padStart(3)}. ${hit.postId} · ${hit.blogId} · ` +
        `${formatScore(hit.score)} · ${formatTime(hit.createdAtMs)}${tags ? ` · ${tags}` : ''}`,
    );
    for (const highlight of hit.highlights) {
      lines.push(`     ${highlight.field}: ${emphasize(highlight, options)}`);
    }
  });
  for (const degradation of response.degraded) {
    lines.push(`degraded: ${degradation.component}: ${degradation.reason}`);
  }
  if (response.nextCursor !== '') {
    lines.push(`next page: ${feedmeshCommand(nextPageArgs(query, response.nextCursor))}`);
  }
  return `${lines.join('\n')}\n`;
}

/**
 * Hits before this page. The response does not say, but the search service's cursor does: a
 * signed `<base64url JSON>.<mac>` whose `o` is the offset it starts at. The CLI only reads it;
 * one it cannot read (another format, a fake) numbers from 1 as before.
 */
export function pageOffset(cursor: string): number {
  const payload = cursor.split('.')[0];
  if (!payload) return 0;
  try {
    const body = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { o?: unknown };
    return Number.isSafeInteger(body.o) && (body.o as number) >= 0 ? (body.o as number) : 0;
  } catch {
    return 0;
  }
}

/** Matches come wrapped in « »; on a terminal they are shown in bold instead. */
function emphasize(highlight: searchv1.Highlight, options: RenderOptions): string {
  const snippet = clip(highlight.snippet, SNIPPET_WIDTH);
  return options.color ? snippet.replace(/«([^»]*)»/g, '\u001b[1m$1\u001b[22m') : snippet;
}

function nextPageArgs(query: SearchQuery, cursor: string): string[] {
  const args = ['search', query.query];
  if (query.userId !== undefined) args.push('--user', query.userId);
  for (const tag of query.tags) args.push('--tag', tag);
  if (query.blogId !== undefined) args.push('--blog', query.blogId);
  args.push('--order', query.order, '--page-size', String(query.pageSize));
  if (query.address !== undefined) args.push('--addr', query.address);
  args.push('--cursor', cursor);
  return args;
}
