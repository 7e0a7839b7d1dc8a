// html`...` escapes every interpolated value unless it is markup made by html`...` itself. Hand-written
// because it is this small; @kitajs/html needs JSX and escapes children only when told to.

/** Markup safe to send as it is; only html`...` makes one. */
class Html {
  constructor(readonly text: string) {}
}
export type { Html }

/** What a template may interpolate: text and numbers (escaped), markup, lists of them, or nothing. */
type Interpolation = string | number | Html | null | undefined | false | readonly Interpolation[]

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }

function render(value: Interpolation): string {
  if (typeof value === 'string' || typeof value === 'number') return String(value).replace(/[&<>"']/g, (char) => ESCAPES[char] ?? char)
  if (value instanceof Html) return value.text
  if (value === null || value === undefined || value === false) return ''
  return value.map(render).join('')
}

export function html(strings: TemplateStringsArray, ...values: Interpolation[]): Html {
  return new Html(strings.reduce((text, part, i) => text + render(values[i - 1]) + part))
}
