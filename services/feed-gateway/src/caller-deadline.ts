/**
 * The time to plan a call for, ms from now: the gateway's own deadline for the RPC
 * (FEED_DEADLINE_MS, SEARCH_DEADLINE_MS), or less when the caller stops waiting sooner: what is
 * left of its deadline (service-kit's callRemainingMs; undefined when it sent none) less
 * `marginMs` (GATEWAY_RESPONSE_MARGIN_MS), kept for the answer to be finished and reach the
 * caller. The stages' budgets are cut from it, so a short caller deadline makes a smaller,
 * degraded answer rather than DEADLINE_EXCEEDED.
 */
export function plannedDeadlineMs(
  ownMs: number,
  callerRemainingMs: number | undefined,
  marginMs: number,
): number {
  if (callerRemainingMs === undefined) return ownMs;
  return Math.max(0, Math.min(ownMs, callerRemainingMs - marginMs));
}
