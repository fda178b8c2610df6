import { InvalidArgumentError } from '@feedmesh/errors';
import type { DeadLetterPage, RedriveSelection } from './event-log.js';
import { positiveIntegerOr } from './log-settings.js';

/** The most dead letters one `redriveDeadLetters` call takes by id. */
export const MAX_REDRIVE_IDS = 1_000;

/**
 * Some of the ids given to `redriveDeadLetters` are not among the group's dead letters: they
 * never were, or were redriven already (by another operator too). Nothing was redriven.
 */
export class UnknownDeadLettersError extends InvalidArgumentError {
  constructor(
    readonly group: string,
    readonly ids: readonly string[],
  ) {
    super(
      'ids',
      `not among the dead letters of group ${JSON.stringify(group)} (never were, or redriven ` +
        `already): ${ids.join(', ')}; nothing was redriven`,
    );
  }
}

/** A dead-letter page checked: `after` one of this log's ids (`isId`), `limit` 1 or more. */
export function checkDeadLetterPage(
  page: DeadLetterPage | undefined,
  isId: (id: string) => boolean,
): { readonly after: string | undefined; readonly limit: number } {
  const limit = positiveIntegerOr('limit', page?.limit, 100);
  const after: unknown = page?.after;
  if (after !== undefined && (typeof after !== 'string' || !isId(after))) {
    throw new InvalidArgumentError(
      'after',
      `${JSON.stringify(after)} is not a dead-letter id of this log (take it from deadLetters)`,
    );
  }
  return { after, limit };
}

/** What to redrive, checked: the ids (unique, as given), or every dead letter up to `limit`. */
export type CheckedRedrive =
  | { readonly ids: readonly string[]; readonly limit?: undefined }
  | { readonly ids?: undefined; readonly limit: number };

/**
 * Exactly one of `ids` (1 to MAX_REDRIVE_IDS strings) and `all: true`; `limit` only with
 * `all`. Checked at run time too: JavaScript callers are not held to the types.
 */
export function checkRedriveSelection(selection: RedriveSelection | undefined): CheckedRedrive {
  const ids: unknown = selection?.ids;
  const all: unknown = selection?.all;
  const limit: unknown = selection?.limit;
  if (all !== undefined && typeof all !== 'boolean') {
    throw new InvalidArgumentError('all', 'must be true or false');
  }
  if (ids !== undefined && all === true) {
    throw new InvalidArgumentError('ids', 'give either ids or all: true, not both');
  }
  if (all === true) {
    return {
      limit: limit === undefined ? Infinity : positiveIntegerOr('limit', limit as number, 1),
    };
  }
  if (ids === undefined) {
    throw new InvalidArgumentError(
      'ids',
      'give the ids of the dead letters to redrive, or all: true',
    );
  }
  if (limit !== undefined) throw new InvalidArgumentError('limit', 'goes with all: true only');
  if (!Array.isArray(ids) || ids.length === 0 || ids.length > MAX_REDRIVE_IDS) {
    throw new InvalidArgumentError('ids', `must list 1 to ${MAX_REDRIVE_IDS} dead-letter ids`);
  }
  ids.forEach((id: unknown, index) => {
    if (typeof id !== 'string' || id === '') {
      throw new InvalidArgumentError(`ids[${index}]`, 'must be a dead-letter id');
    }
  });
  return { ids: [...new Set(ids as string[])] };
}
