// What the repository reports besides results. Each carries its answer (status and detail), which
// src/http/errors.ts sends as JSON or as a page.
import { HttpError } from '../http/errors.js'
import { itemPath } from './item-path.js'

/** The name holds another item: 409, and the stored item is kept. */
export class DuplicateItemError extends HttpError {
  override name = 'DuplicateItemError'
  constructor(readonly itemName: string) {
    super(409, `An item named "${itemName}" is already present`)
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
