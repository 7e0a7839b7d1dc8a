// Server-rendered pages for the HTML form. public/index.html is the single source of their look: every
// page is that file with its <title> and <main> content replaced. Every piece of user text goes
// through escapeHtml.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { PUBLIC_DIR } from '../plugins/static-files.js'

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => ESCAPES[char] ?? char)
}

export const SITE_NAME = 'Item store'
const TITLE = /<title>[^<]*<\/title>/
const MAIN = /(<main\b[^>]*>)([\s\S]*)(<\/main>)/

function readFormFile(): { file: string; main: string } {
  const path = join(PUBLIC_DIR, 'index.html')
  const file = readFileSync(path, 'utf8')
  const main = MAIN.exec(file)?.[2]
  // Fail at start, not on the first result page, if the file loses the parts the pages are built from.
  if (!TITLE.test(file) || main === undefined) throw new Error(`${path} must contain a <title> and a <main> element`)
  return { file, main }
}

const FORM = readFormFile()

/** The inner HTML of <main> in public/index.html: the heading, the introduction and the form. */
export const FORM_MAIN_HTML = FORM.main

/** A whole page in the form's look. `body` must already be escaped HTML. */
export function page(title: string, body: string): string {
  // Function replacers, so that `$&` and the like in user text are not read as replacement patterns.
  return FORM.file
    .replace(TITLE, () => `<title>${escapeHtml(title)} · ${SITE_NAME}</title>`)
    .replace(MAIN, (_match, open: string, _inner, close: string) => `${open}\n${body}\n${close}`)
}
