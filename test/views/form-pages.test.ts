// The pages the form route answers besides its redirect, and every page for keyboards and screen readers:
// the form shown again after a 409 or 422 keeps what was typed, and the 409 says what is wrong where it is.
import { parse, type DefaultTreeAdapterTypes } from 'parse5'
import { describe, expect, it } from 'vitest'
import { cataloguePage, itemNotFoundPage, itemPage } from '../../src/views/catalogue-pages.js'
import { conflictPage, entryPage, errorPage, invalidPage, type FormValues } from '../../src/views/form-pages.js'
import { notFoundPage } from '../../src/views/not-found-page.js'
import type { Cents } from '../../src/money.js'

type Node = DefaultTreeAdapterTypes.Node
type Element = DefaultTreeAdapterTypes.Element

function isElement(node: Node): node is Element {
  return 'tagName' in node
}

function find(node: Node, test: (element: Element) => boolean): Element | undefined {
  if (isElement(node) && test(node)) return node
  for (const child of 'childNodes' in node ? node.childNodes : []) {
    const found = find(child, test)
    if (found !== undefined) return found
  }
  return undefined
}

function findAll(node: Node, test: (element: Element) => boolean, found: Element[] = []): Element[] {
  if (isElement(node) && test(node)) found.push(node)
  for (const child of 'childNodes' in node ? node.childNodes : []) findAll(child, test, found)
  return found
}

function attribute(element: Element, name: string): string | undefined {
  return element.attrs.find((attr) => attr.name === name)?.value
}

function byTag(document: Node, tag: string): Element {
  const element = find(document, (candidate) => candidate.tagName === tag)
  if (element === undefined) throw new Error(`no <${tag}>`)
  return element
}

// What the person typed and what is wrong with it, left out of an outline.
const STATE_ATTRIBUTES = new Set(['value', 'aria-invalid', 'autofocus'])

function isProblemMessage(node: Node): boolean {
  return isElement(node) && attribute(node, 'class') === 'field-error'
}

/**
 * One line per element (tag and sorted attributes) and per text, indented by depth, without the form's
 * state (typed values, problem messages and the attributes that point at them).
 */
function outline(node: Node, depth = 0, lines: string[] = []): string[] {
  const indent = '  '.repeat(depth)
  if (node.nodeName === '#text' && 'value' in node) {
    const text = node.value.trim()
    if (text !== '') lines.push(`${indent}${JSON.stringify(text)}`)
    return lines
  }
  if (!isElement(node)) {
    // The document itself: its doctype and <html>.
    if (node.nodeName === '#documentType') lines.push('<!doctype>')
    for (const child of 'childNodes' in node ? node.childNodes : []) outline(child, depth, lines)
    return lines
  }
  const attrs = node.attrs
    .filter((attr) => !STATE_ATTRIBUTES.has(attr.name))
    .map((attr) =>
      attr.name === 'aria-describedby'
        ? `${attr.name}=${attr.value.split(' ').filter((id) => !id.endsWith('-error')).join(' ')}`
        : `${attr.name}=${attr.value}`,
    )
    .sort()
  lines.push(`${indent}<${node.tagName} ${attrs.join(' ')}>`)
  if (node.tagName === 'textarea') return lines
  for (const child of node.childNodes) if (!isProblemMessage(child)) outline(child, depth + 1, lines)
  return lines
}

const TYPED: Required<FormValues> = { name: 'Lamp', price: '1.234', tax: '1.5', description: '\nBrass desk lamp' }
const PROBLEMS = [
  { loc: ['body', 'name'], msg: 'name must not be empty', type: 'string_too_short' },
  { loc: ['body', 'price'], msg: 'price must have at most 2 digits after the decimal point', type: 'decimal_max_places' },
  { loc: ['body', 'tax'], msg: 'tax must be at least 0', type: 'greater_than_equal' },
  { loc: ['body', 'description'], msg: 'description must be at most 2000 characters', type: 'string_too_long' },
]

const RESHOWN: [string, string][] = [
  ['422, a problem on every field', invalidPage(TYPED, PROBLEMS)],
  ['422, one problem', invalidPage(TYPED, PROBLEMS.slice(1, 2))],
  ['409', conflictPage('Lamp', TYPED)],
]

describe('the form shown again', () => {
  it.each(RESHOWN)('after a %s holds what was typed, each value in its own field', (_label, pageHtml) => {
    const form = byTag(parse(pageHtml), 'form')
    for (const id of ['name', 'price', 'tax'] as const) {
      const input = find(form, (element) => attribute(element, 'name') === id)
      expect(input === undefined ? undefined : attribute(input, 'value'), id).toBe(TYPED[id])
    }
    const textarea = byTag(form, 'textarea')
    expect(textarea.childNodes.map((text) => ('value' in text ? text.value : '')).join('')).toBe(TYPED.description)
  })
})

const LAMP = { name: 'Lamp', price: 1234 as Cents, description: null, tax: 0 as Cents }

describe('every page, for keyboards and screen readers', () => {
  it.each<[string, string, string | undefined]>([
    ['entry form', entryPage(), 'New item'],
    ['item', itemPage(LAMP, 'created'), undefined],
    ['catalogue', cataloguePage({ items: [LAMP], search: {}, next: null }), 'Catalogue'],
    ['not found', itemNotFoundPage('Lamp'), undefined],
    ['page not found', notFoundPage(), undefined],
    ['error', errorPage(503, 'The database is unavailable'), undefined],
    ['invalid', invalidPage(TYPED, PROBLEMS), 'New item'],
    ['conflict', conflictPage('Lamp', TYPED), 'New item'],
  ])('the %s page starts with a "Skip to content" link, and marks its menu entry as the current page', (_label, pageHtml, current) => {
    const body = byTag(parse(pageHtml), 'body')
    const first = body.childNodes.find(isElement)
    expect(first === undefined ? undefined : [first.tagName, attribute(first, 'href'), outline(first).at(-1)?.trim()]).toEqual(['a', '#main', '"Skip to content"'])
    const marked = findAll(byTag(body, 'nav'), (element) => attribute(element, 'aria-current') === 'page')
    expect(marked.map((link) => outline(link).at(-1)?.trim())).toEqual(current === undefined ? [] : [JSON.stringify(current)])
  })
})

describe('the 409 page', () => {
  it('has the 422 page’s error summary, linking to the name, and the full message beside the name', () => {
    const pageHtml = conflictPage('Lamp & co', TYPED)
    const summary = find(parse(pageHtml), (element) => attribute(element, 'class') === 'error-summary')
    expect(summary === undefined ? undefined : [attribute(summary, 'role'), attribute(summary, 'aria-labelledby')]).toEqual(['alert', 'error-summary-title'])
    expect(pageHtml).toContain('<li><a href="#name">The name “Lamp &amp; co” is taken: choose another name</a></li>')
    expect(pageHtml.match(/already present/g)).toHaveLength(1)
    const message = find(parse(pageHtml), (element) => attribute(element, 'id') === 'name-error')
    expect(message).toBeDefined()
    const link = message === undefined ? undefined : find(message, (element) => element.tagName === 'a')
    expect(link === undefined ? undefined : attribute(link, 'href')).toBe('/catalogue/Lamp%20%26%20co/')
  })
})
