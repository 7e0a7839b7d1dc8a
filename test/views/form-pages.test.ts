// The pages the form route answers besides its redirect: the form shown again after a 409 or 422 keeps
// what was typed, and the 409 says what is wrong once, where it is.
import { parse, type DefaultTreeAdapterTypes } from 'parse5'
import { describe, expect, it } from 'vitest'
import { conflictPage, invalidPage, type FormValues } from '../../src/views/form-pages.js'

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

function attribute(element: Element, name: string): string | undefined {
  return element.attrs.find((attr) => attr.name === name)?.value
}

function byTag(document: Node, tag: string): Element {
  const element = find(document, (candidate) => candidate.tagName === tag)
  if (element === undefined) throw new Error(`no <${tag}>`)
  return element
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

describe('the 409 page', () => {
  it('says it once, beside the name, with a link to the item that has it', () => {
    const pageHtml = conflictPage('Lamp & co', TYPED)
    expect(pageHtml.match(/already present/g)).toHaveLength(1)
    expect(pageHtml).not.toContain('error-summary')
    const message = find(parse(pageHtml), (element) => attribute(element, 'id') === 'name-error')
    expect(message).toBeDefined()
    const link = message === undefined ? undefined : find(message, (element) => element.tagName === 'a')
    expect(link === undefined ? undefined : attribute(link, 'href')).toBe('/catalogue/Lamp%20%26%20co/')
  })
})
