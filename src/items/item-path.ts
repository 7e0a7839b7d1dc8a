/** An item's URL: the name percent-encoded, so "/", "?" or "#" in it stay part of the name. */
export function itemPath(name: string): string {
  return `/items/${encodeURIComponent(name)}/`
}

/** Where people read the catalogue; its pages live below it. */
export const CATALOGUE_PATH = '/catalogue/'

/** An item's page for people (itemPath is its JSON). */
export function itemPagePath(name: string): string {
  return `${CATALOGUE_PATH}${encodeURIComponent(name)}/`
}
