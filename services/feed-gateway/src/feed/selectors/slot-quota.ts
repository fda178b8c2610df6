import type { FeedCandidate } from '../feed-query.js';

/**
 * Rebuilds the first `pageSize` positions so that at least `minimum` of them are candidates
 * `inGroup` accepts, when that many exist, spread evenly down the page: up to each position p
 * the group has had at least ⌊(p + 1) · minimum / pageSize⌋ slots, and when it is owed one the
 * group's best remaining candidate takes it. Otherwise the order is kept: a page that already
 * holds the group early enough is unchanged. What follows the page keeps its order.
 */
export function withMinimumInPage(
  candidates: readonly FeedCandidate[],
  pageSize: number,
  minimum: number,
  inGroup: (candidate: FeedCandidate) => boolean,
): FeedCandidate[] {
  // Counting stops at the most the page can give the group.
  const most = Math.min(minimum, pageSize);
  let available = 0;
  for (let i = 0; i < candidates.length && available < most; i++)
    if (inGroup(candidates[i]!)) available += 1;
  const quota = Math.min(most, available);
  if (quota <= 0) return [...candidates];
  const rest = [...candidates];
  const page: FeedCandidate[] = [];
  let taken = 0;
  while (page.length < pageSize && rest.length > 0) {
    const owed = Math.floor(((page.length + 1) * quota) / pageSize);
    const index = taken < owed ? rest.findIndex(inGroup) : 0;
    const [chosen] = rest.splice(Math.max(0, index), 1);
    if (inGroup(chosen!)) taken += 1;
    page.push(chosen!);
  }
  return page.concat(rest);
}
