import { gatewayv1, type searchv1 } from '@feedmesh/contracts';
import type { RenderOptions } from './feed-table.js';
import { clip, feedmeshCommand, formatCount, formatScore, formatTime } from './text.js';

export interface SearchQuery {
  readonly query: string;
  readonly userId?: string | undefined;
  readonly tags: readonly string[];
  readonly blogId?: string | undefined;
  /** The CLI's name for the order: `relevance` or `recency`. */
  readonly order: string;
  readonly pageSize: number;
  readonly address?: string | undefined;
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
    `${formatCount(response.totalHits)} hits for ${JSON.stringify(query.query)} · ` +
      `ranking ${ranking.toLowerCase()} · request ${response.requestId || '-'}`,
  ];
  const firstPosition = 1;
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
