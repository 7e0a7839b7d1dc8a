/** An item's URL: the name percent-encoded, so "/", "?" or "#" in it stay part of the name. */
export function itemPath(name: string): string {
  return `/items/${encodeURIComponent(name)}/`
}
