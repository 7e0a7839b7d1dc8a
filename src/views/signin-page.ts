// The sign-in page: name and password, each labelled, problems beside the fields. A wrong name or password
// gets one message for both, so the page does not tell which names exist.
import type { ErrorPages } from '../http/errors.js'
import { html, type Html } from './html.js'
import { csrfField, type Account } from './account.js'
import { errorPage, sentence } from './form-pages.js'
import { page } from './layout.js'

export interface SigninView {
  /** Where to go once signed in (a path on this site). */
  next: string
  csrfToken: string
  /** Who is signed in already, for the header. */
  account?: Account
  name?: string
  /** Per field (an empty one), or `credentials` for a wrong name or password. */
  problems?: { name?: string; password?: string; credentials?: string }
}

function describedBy(id: string, problem: string | undefined, shared: boolean): Html {
  const ids = [problem !== undefined && `${id}-error`, shared && 'credentials-error'].filter((part): part is string => part !== false)
  return html`${ids.length > 0 && html` aria-describedby="${ids.join(' ')}" aria-invalid="true"`}`
}

function problemLine(id: string, problem: string | undefined): Html | undefined {
  return problem === undefined ? undefined : html`<p class="field-error" id="${id}-error"><span class="visually-hidden">Error: </span>${problem}</p>
`
}

export function signinPage(view: SigninView): string {
  const problems = view.problems ?? {}
  const wrong = problems.credentials !== undefined
  const firstInvalid = problems.name !== undefined || wrong ? 'name' : problems.password !== undefined ? 'password' : undefined
  const summary = [problems.name, problems.password, problems.credentials].filter((text): text is string => text !== undefined)
  return page(
    summary.length > 0 ? 'Error: Sign in' : 'Sign in',
    html`
<h1>Sign in</h1>
<p class="lead">Editors sign in to add items. Reading the catalogue needs no account.</p>
${summary.length > 0 && html`<div class="error-summary" role="alert" aria-labelledby="error-summary-title">
<h2 id="error-summary-title">You are not signed in</h2>
<ul>
${summary.map((text, i) => [i > 0 && '\n', html`<li>${text}</li>`])}
</ul>
</div>
`}<form method="post" action="/signin" class="card">
${csrfField(view.csrfToken)}<input type="hidden" name="next" value="${view.next}">
${wrong && html`<p class="field-error" id="credentials-error"><span class="visually-hidden">Error: </span>${problems.credentials}</p>
`}<div class="field">
<label for="name">Name</label>
${problemLine('name', problems.name)}<input id="name" name="name" type="text" required maxlength="64" autocomplete="username" autocapitalize="none" spellcheck="false"${view.name !== undefined && view.name !== '' && html` value="${view.name}"`}${describedBy('name', problems.name, wrong)}${firstInvalid === 'name' && html` autofocus=""`}>
</div>
<div class="field">
<label for="password">Password</label>
${problemLine('password', problems.password)}<input id="password" name="password" type="password" required maxlength="1024" autocomplete="current-password"${describedBy('password', problems.password, wrong)}${firstInvalid === 'password' && html` autofocus=""`}>
</div>
<div class="actions">
<button type="submit">Sign in</button>
</div>
</form>
`,
    undefined,
    view.account,
  )
}

/**
 * The pages of the sign-in routes' errors: `title` says what did not happen. A refusal the person can act on
 * while signing in (a stale form, too many attempts, too busy) shows the form again with it (`form`); anything
 * else the error page. `account` is asked only for a page that shows the header.
 */
export function signinErrorPages(title: string, account: () => Account, form: (problem: string) => string): ErrorPages {
  return {
    // A query the page does not take (422), or a form it cannot read.
    invalid: (fieldErrors) =>
      fieldErrors[0]?.loc[0] === 'query' ? errorPage(422, fieldErrors.map(({ msg }) => sentence(msg)).join('; '), title, account()) : errorPage(400, 'The form could not be read', title),
    failed: (status, detail, error) => {
      const stale = (error as { code?: string }).code?.startsWith('FST_CSRF') === true ? 'The form was out of date; please send it again' : undefined
      return title === 'Not signed in' && [403, 429, 503].includes(status) ? form(stale ?? detail) : errorPage(status, stale ?? detail, title, account())
    },
  }
}

/** GET /signin when keys are set but no editors: the form is closed and nobody can sign in. */
export function signinUnavailablePage(): string {
  return page(
    'Sign in',
    html`
<h1>Sign in</h1>
<div class="notice info"><p>Nobody can sign in on this server: no editors are set up, so the form is closed. Programs add items through the JSON API with an API key (see the <a href="/docs">API documentation</a>); reading the catalogue needs no account.</p></div>
<p><a class="button" href="/catalogue/">Browse the catalogue</a></p>
`,
  )
}
