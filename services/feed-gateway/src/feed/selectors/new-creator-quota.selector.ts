import type { FeedCandidate, FeedQuery, Selector } from '../feed-query.js';
import type { MixerParams } from './mixer-params.js';
import { inNetworkSides } from './in-network-balance.selector.js';
import { withMinimumInPage } from './slot-quota.js';

/**
 * Gives new creators a fair start: a share of each page (`newCreatorShare`) goes to posts of
 * new creators when there are any, the best-scored of them first, spread down the page. A
 * candidate is a new creator's when the feature store says its blog is one
 * (`blog.is_new_creator`) or the fresh-creators source proposed it.
 */
export class NewCreatorQuotaSelector implements Selector {
  readonly name = 'new-creator-quota';

  constructor(private readonly params: (query: FeedQuery) => MixerParams) {}

  select(query: FeedQuery, candidates: readonly FeedCandidate[]): FeedCandidate[] {
    const params = this.params(query);
    const { newCreatorShare } = params;
    if (newCreatorShare <= 0) return [...candidates];
    const minimum = Math.round(newCreatorShare * query.pageSize);
    const sides = inNetworkSides(query, params);
    const page = sides
      ? keepingSides(candidates, query.pageSize, minimum, sides.followed, sides.inNetwork)
      : candidates;
    return withMinimumInPage(page, query.pageSize, minimum, isNewCreator);
  }
}

/**
 * Makes room on the page for the new creators it lacks, each taking the place of the lowest
 * placed other post of its own side (followed or not), or of a side above its share, so the
 * in-network balance already made still holds. Returns the page's posts first (in their
 * order, then the new creators brought in), then the rest in their order; the quota's spread
 * is left to withMinimumInPage, which keeps those posts on the page.
 */
function keepingSides(
  candidates: readonly FeedCandidate[],
  pageSize: number,
  minimum: number,
  followed: (candidate: FeedCandidate) => boolean,
  inNetwork: number,
): readonly FeedCandidate[] {
  const page = candidates.slice(0, pageSize);
  let owed = Math.min(minimum, pageSize) - page.filter(isNewCreator).length;
  if (owed <= 0 || candidates.length <= pageSize) return candidates;
  const available = candidates.filter(followed).length;
  // The least each side keeps: its slots, or all it has when it has fewer.
  const floor = (inSide: boolean) =>
    inSide
      ? Math.min(inNetwork, available)
      : Math.min(pageSize - inNetwork, candidates.length - available);
  const inPage = new Map<boolean, number>([
    [true, page.filter(followed).length],
    [false, page.length - page.filter(followed).length],
  ]);
  const brought: FeedCandidate[] = [];
  for (const candidate of candidates.slice(pageSize)) {
    if (owed <= 0) break;
    if (!isNewCreator(candidate)) continue;
    const side = followed(candidate);
    let at = -1;
    let fallback = -1;
    for (let i = page.length - 1; i >= 0 && at < 0; i--) {
      const placed = page[i]!;
      if (isNewCreator(placed)) continue;
      if (fallback < 0) fallback = i;
      const placedSide = followed(placed);
      if (placedSide === side || inPage.get(placedSide)! > floor(placedSide)) at = i;
    }
    // No post can leave without costing a side its share: the quota, the later selector, wins.
    if (at < 0) at = fallback;
    if (at < 0) break;
    const [left] = page.splice(at, 1);
    inPage.set(followed(left!), inPage.get(followed(left!))! - 1);
    inPage.set(side, inPage.get(side)! + 1);
    brought.push(candidate);
    owed -= 1;
  }
  const chosen = new Set([...page, ...brought]);
  return [...page, ...brought, ...candidates.filter((c) => !chosen.has(c))];
}

export function isNewCreator(candidate: FeedCandidate): boolean {
  return candidate.newCreator === true || candidate.sources.some((s) => s.source === 'fresh');
}
