import Table from 'cli-table3';
import type { gatewayv1 } from '@feedmesh/contracts';
import { clip, counted, feedmeshCommand, formatScore } from './text.js';

/** What was asked for, to title the page and spell out the next page's command. */
export interface FeedQuery {
  readonly userId: string;
  /** The CLI's name for the surface: `dashboard`, `for-you`, `explore`, `tag`. */
  readonly surface: string;
  readonly tag?: string | undefined;
  readonly pageSize: number;
  readonly address?: string | undefined;
}

export interface RenderOptions {
  readonly color: boolean;
}

const SUMMARY_WIDTH = 44;
const REASON_WIDTH = 28;
const TAGS_WIDTH = 24;

/**
 * A feed page for people: one row per item (position, post, blog, source, score, reason,
 * tags, summary), then the request id, what degraded, and the command for the next page.
 */
export function renderFeed(
  response: gatewayv1.GetFeedResponse,
  query: FeedQuery,
  options: RenderOptions,
): string {
  const lines: string[] = [];
  const where = query.surface === 'tag' ? `#${query.tag ?? ''}` : query.surface;
  const model = response.model === '' ? 'no model' : `model ${response.model}`;
  lines.push(`${query.userId} · ${where} · ${counted(response.items.length, 'item')} · ${model}`);

  if (response.items.length === 0) {
    lines.push('(no items)');
  } else {
    const table = new Table({
      head: ['#', 'post', 'blog', 'source', 'score', 'reason', 'tags', 'summary'],
      colAligns: ['right', 'left', 'left', 'left', 'right', 'left', 'left', 'left'],
      style: options.color ? { head: ['cyan'], border: ['grey'] } : { head: [], border: [] },
    });
    for (const item of response.items) {
      const sources =
        item.sources.length > 1
          ? `${item.source} +${item.sources.filter((s) => s !== item.source).length}`
          : item.source;
      table.push([
        item.position,
        item.postId,
        item.blogId,
        sources,
        formatScore(item.score),
        clip(item.reason, REASON_WIDTH),
        clip(item.tags.map((t) => `#${t}`).join(' '), TAGS_WIDTH),
        clip(item.summary, SUMMARY_WIDTH),
      ]);
    }
    lines.push(table.toString());
  }

  lines.push(`request ${response.requestId || '-'}`);
  if (response.experiments.length > 0) {
    lines.push(
      `experiments: ${response.experiments.map((e) => `${e.experiment}=${e.variant}`).join(', ')}`,
    );
  }
  for (const degradation of response.degraded) {
    lines.push(`degraded: ${degradation.component}: ${degradation.reason}`);
  }
  if (response.nextCursor !== '') {
    lines.push(`next page: ${feedmeshCommand(nextPageArgs(query, response.nextCursor))}`);
  }
  return `${lines.join('\n')}\n`;
}

function nextPageArgs(query: FeedQuery, cursor: string): string[] {
  const args = ['feed', '--user', query.userId, '--surface', query.surface];
  if (query.surface === 'tag' && query.tag !== undefined) args.push('--tag', query.tag);
  args.push('--page-size', String(query.pageSize));
  if (query.address !== undefined) args.push('--addr', query.address);
  args.push('--cursor', cursor);
  return args;
}
