// What the repository reports besides results. Each carries its answer (status and detail), which
// src/http/errors.ts sends as JSON or as a page.
import { HttpError } from '../http/errors.js'
import { itemPath } from './item-path.js'
import { differingCodePoints } from './look-alike.js'

/** The stored name, and what tells the name sent from it: the code points only the name sent has. */
function lookAlikeDetail(sent: string, stored: string): string {
  const differing = differingCodePoints(sent, stored)
  const how = differing.length > 0 ? `the name sent has ${differing.join(', ')} where the stored one has a character that looks the same` : 'only the spaces differ'
  return `An item whose name reads the same is already present: "${stored}" (${how}); choose another name`
}

/**
 * The name holds another item, or an item whose name reads the same is stored (`storedName`, then, differs
 * from the name sent): 409, and the stored item is kept.
 */
export class DuplicateItemError extends HttpError {
  override name = 'DuplicateItemError'
  constructor(
    readonly itemName: string,
    readonly storedName: string = itemName,
  ) {
    super(409, storedName === itemName ? `An item named "${itemName}" is already present` : lookAlikeDetail(itemName, storedName))
  }
}

/** The database could not answer, and nothing was or will be stored: 503. Already logged by the repository. */
export class DatabaseUnavailableError extends HttpError {
  override name = 'DatabaseUnavailableError'
  constructor(options?: ErrorOptions) {
    super(503, 'The database is unavailable; try again shortly', options)
  }
}

/** A sent insert that the database neither confirmed nor refused within the bound: it may be stored (504). */
export class WriteOutcomeUnknownError extends HttpError {
  override name = 'WriteOutcomeUnknownError'
  constructor(readonly itemName: string, options?: ErrorOptions) {
    super(
      504,
      'The database did not confirm the write in time, so the outcome is unknown: read the item at ' +
        `${itemPath(itemName)}, or send the same item again (an identical stored item is answered 200)`,
      options,
    )
  }
}
