// The template tag every page is written with: user text can never become markup.
import { describe, expect, it } from 'vitest'
import { html } from '../../src/views/html.js'

describe('html`...`', () => {
  it('escapes interpolated text, in content and in attribute values alike', () => {
    const text = `"><script>alert('x')</script> & more`
    expect(html`<p title="${text}">${text}</p>`.text).toBe(
      '<p title="&quot;&gt;&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; more">&quot;&gt;&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; more</p>',
    )
  })

  it('keeps markup made by html`...` as it is, but escapes text that only looks like markup', () => {
    const item = html`<li>${'<b>'}</li>`
    expect(html`<ul>${item}${'<li>'}</ul>`.text).toBe('<ul><li>&lt;b&gt;</li>&lt;li&gt;</ul>')
  })

  it('renders lists one after another, numbers as digits, and nothing for null, undefined or false', () => {
    expect(html`${[html`<i>`, 'a&b', [1, 2]]}|${null}${undefined}${false}|${0}`.text).toBe('<i>a&amp;b12||0')
  })
})
