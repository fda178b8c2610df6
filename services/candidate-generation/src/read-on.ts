/**
 * How far a source reads on when what it read left its budget short (posts the caller
 * excluded, the user hid, of blogs they blocked, deleted since): at most `maxReads` reads of
 * its index per request, each `widenFactor` times wider than the last. Bounded, so a user who
 * blocked or saw everything near the top costs a few reads, not a walk to the index's end.
 */
export const READ_ON = { maxReads: 3, widenFactor: 4 } as const;
