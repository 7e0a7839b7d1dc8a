// What the repository reports besides results; src/http/errors.ts turns them into 409, 503 and 504.

export class DuplicateItemError extends Error {
  override name = 'DuplicateItemError'
  constructor(readonly itemName: string) {
    super(`an item named "${itemName}" is already present`)
  }
}

export class DatabaseUnavailableError extends Error {
  override name = 'DatabaseUnavailableError'
}

/** A sent insert that the database neither confirmed nor refused within the bound: it may be stored. */
export class WriteOutcomeUnknownError extends Error {
  override name = 'WriteOutcomeUnknownError'
  constructor(readonly itemName: string, options?: ErrorOptions) {
    super(`the insert of "${itemName}" was not confirmed in time`, options)
  }
}
