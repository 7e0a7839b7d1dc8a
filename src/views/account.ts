// Who is signed in, in the header of every page, and the CSRF token of every form that writes. Pages are
// rendered without knowing the request; these slots are filled per answer by src/auth/access.ts (and
// emptied when nobody can sign in), so no view needs the session passed through it.
import { html, type Html } from './html.js'

export const ACCOUNT_SLOT: Html = html`<!--account-->`
export const CSRF_SLOT: Html = html`<!--csrf-->`

/** The hidden field that carries the CSRF token in a form. */
export function csrfField(token: string): Html {
  return html`<input type="hidden" name="_csrf" value="${token}">`
}

/** The header's account part: the signed-in editor with a sign-out button, or a link to sign in. */
export function accountBar(account: { name: string; csrfToken: string } | undefined): string {
  if (account === undefined) return html`<p class="account"><a href="/signin">Sign in</a></p>`.text
  return html`<form class="account" method="post" action="/signout">
<span>Signed in as <strong class="name">${account.name}</strong></span>
${csrfField(account.csrfToken)}<button type="submit" class="button secondary">Sign out</button>
</form>`.text
}
