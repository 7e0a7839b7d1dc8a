// What the repository reports besides results; src/http/errors.ts turns them into 409 and 503.

export class DuplicateItemError extends Error {
  override name = 'DuplicateItemError'
  constructor(readonly itemName: string) {
    super(`an item named "${itemName}" is already present`)
  }
}

export class DatabaseUnavailableError extends Error {
  override name = 'DatabaseUnavailableError'
}
