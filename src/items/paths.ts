/** The path of one item: its name URL-encoded, so "a/b c" is /items/a%2Fb%20c/. */
export function itemPath(name: string): string {
  return `/items/${encodeURIComponent(name)}/`
}
