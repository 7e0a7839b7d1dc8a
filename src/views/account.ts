// Who is signed in, in the header of every page, and the CSRF token of every form that writes. Routes get
// the account from fastify.account (src/auth/access.ts) and pass it to the view they render.
import { html, type Html } from './html.js'

/** A signed-in editor with the CSRF token of their forms; 'sign-in' when someone could sign in; undefined when nobody can. */
export type Account = { name: string; csrfToken: string } | 'sign-in' | undefined

/** The hidden field that carries the CSRF token in a form; nothing without a token. */
export function csrfField(token: string | undefined): Html {
  return html`${token !== undefined && html`<input type="hidden" name="_csrf" value="${token}">
`}`
}

/** The CSRF token of a signed-in editor's forms. */
export function tokenOf(account: Account): string | undefined {
  return typeof account === 'object' ? account.csrfToken : undefined
}

/** The header's account part: the signed-in editor with a sign-out button, or a link to sign in. */
export function accountBar(account: Account): Html {
  if (account === undefined) return html``
  if (account === 'sign-in') return html`<p class="account"><a href="/signin">Sign in</a></p>`
  return html`<form class="account" method="post" action="/signout">
<span>Signed in as <strong class="name">${account.name}</strong></span>
${csrfField(account.csrfToken)}<button type="submit" class="button secondary">Sign out</button>
</form>`
}
