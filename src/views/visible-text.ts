// User text echoed into a page (a search, a path) may hold characters that draw nothing or reorder what
// follows (NUL, ESC, U+200B, U+202E ...). Shown as their code points, a reader sees what was sent.
const HIDDEN = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Default_Ignorable_Code_Point}\u2800]/gu

/** `text` with each control, format or invisible character written as its code point, e.g. "[U+202E]". */
export function visibleText(text: string): string {
  return text.replace(HIDDEN, (char) => `[U+${(char.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}]`)
}
