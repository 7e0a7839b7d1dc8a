// Sign-in under abuse, over real HTTP: what a stranger's attempts leave behind (bounded records in MongoDB that
// expire, nothing per name in the process), name keys, lock-outs, password hashing as a bounded resource, and
// the state that every instance shares (one limit, one revocation list); sign-in timing is in test/load. The app
// trusts its loopback peer as a proxy, so X-Forwarded-For says which (loopback) address a visitor comes from.
import { setTimeout as sleep } from 'node:timers/promises'
import { describe, expect, it } from 'vitest'
import { accessConfig, csrfToken, editor, newKey, Visitor } from '../../harness/access.js'
import { startApp, type RunningApp } from '../../harness/app.js'
import { FORM_TYPE, send, type Answer } from '../../harness/http.js'
import type { AppOptions } from '../../src/app.js'
import { testDbUri } from '../setup/test-app.js'

const PASSWORD = 'correct horse battery staple'
const from = (address: string): Record<string, string> => ({ 'x-forwarded-for': address })
const formItem = (name: string) => ({ name, price: '12.50', description: 'A test item', tax: '1' })

function start(options: Omit<AppOptions, 'mongodbUri'>, mongodbUri: string): Promise<RunningApp> {
  return startApp({ mongodbUri, ...options }, { fastify: { trustProxy: ['127.0.0.1'] } })
}

/** Waits until `check` holds, polling; fails after `timeoutMs`. */
async function until(check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`not so within ${timeoutMs} ms`)
    await sleep(200)
  }
}

/** A visitor who has the sign-in form's token, ready to post it. */
async function atTheForm(target: string, address: string): Promise<{ visitor: Visitor; token: string }> {
  const visitor = new Visitor(target, from(address))
  return { visitor, token: csrfToken((await visitor.get('/signin')).text) }
}

describe('sign-in names', () => {
  it('refuses a name longer than an editor name can be before counting or hashing it; the records it keeps are bounded and expire', async () => {
    const access = accessConfig({ editors: [await editor('alice', PASSWORD)], sessionSecret: newKey() })
    const running = await start({ access, signinLimits: { perAddress: 1000, windowMs: 20_000 }, signinSweepEveryMs: 200 }, testDbUri('signin_long_names'))
    try {
      const visitor = new Visitor(running.baseUrl, from('127.0.0.9'))
      for (let i = 0; i < 20; i++) {
        const answer = await visitor.signIn(`${i}${'x'.repeat(60_000)}`, 'wrong password')
        expect(answer.status).toBe(422)
        expect(answer.text).toContain('Editor names are at most 64 characters')
      }
      const attempts = (await running.items()).client.db().collection<{ _id: string; count: number; expiresAt: Date }>('signin_attempts')
      const records = await attempts.find().toArray()
      // Only the address's own counter (one per 20 s window, the last one still there): no name was counted.
      expect(new Set(records.map((record) => record._id.replace(/@\d+$/, '')))).toEqual(new Set(['address:127.0.0.9']))
      for (const record of records) {
        expect(record.count).toBeLessThanOrEqual(20)
        expect(record.expiresAt.getTime()).toBeLessThanOrEqual(Date.now() + 20_000)
      }
      // Expired records are removed: by the TTL index on MongoDB (within its minute), by the sweep on FerretDB.
      await until(async () => (await attempts.countDocuments()) === 0, 90_000)
    } finally {
      await running.close()
    }
  })

  it('counts attempts at the name the lookup uses: spaces, no-break spaces, full-width letters and case get the same 429', async () => {
    const access = accessConfig({ editors: [await editor('alice', PASSWORD)], sessionSecret: newKey() })
    const running = await start({ access }, testDbUri('signin_name_keys'))
    try {
      const visitor = new Visitor(running.baseUrl, from('127.0.0.11'))
      for (let i = 0; i < 10; i++) expect((await visitor.signIn('alice', 'wrong password')).status).toBe(422)
      expect((await visitor.signIn('alice', PASSWORD)).status).toBe(429)
      for (const variant of [' alice', 'alice\u00a0', '\u3000alice', 'ＡＬＩＣＥ', '  Alice  ']) {
        const answer = await visitor.signIn(variant, PASSWORD)
        expect(answer.status, JSON.stringify(variant)).toBe(429)
        expect(answer.text).toContain('Too many sign-in attempts for that name')
        expect(Number(answer.headers['retry-after'])).toBeGreaterThan(0)
      }
    } finally {
      await running.close()
    }
  })

  it('a stranger’s failures do not lock out an editor who signs in from another address', async () => {
    const access = accessConfig({ editors: [await editor('alice', PASSWORD)], sessionSecret: newKey() })
    const running = await start({ access }, testDbUri('signin_lockout'))
    try {
      const stranger = new Visitor(running.baseUrl, from('127.0.0.21'))
      const answers: number[] = []
      for (let i = 0; i < 12; i++) answers.push((await stranger.signIn('alice', `guess ${i}`)).status)
      expect(answers.slice(-1)).toEqual([429])
      const alice = new Visitor(running.baseUrl, from('127.0.0.22'))
      const signedIn = await alice.signIn('alice', PASSWORD)
      expect(signedIn.status).toBe(303)
      expect((await alice.get('/')).text).toContain('Signed in as')
    } finally {
      await running.close()
    }
  })
})

describe('password hashing', () => {
  it('checks one password at a time: a burst beyond the short queue is answered 503 with Retry-After, never 500', async () => {
    // A costly hash (64 MiB, the cap), so the burst arrives while the first checks still run.
    const access = accessConfig({ editors: [await editor('alice', PASSWORD, { ln: 16, r: 8, p: 1 })], sessionSecret: newKey() })
    // Database calls allowed 15 s: on a busy machine the burst's counters would otherwise pass the 1.5 s bound.
    const running = await start({ access, dbOperationTimeoutMs: 15_000 }, testDbUri('signin_queue'))
    try {
      const forms = await Promise.all(Array.from({ length: 20 }, (_, i) => atTheForm(running.baseUrl, `127.0.1.${i}`)))
      // Five checks in a row may take long on a busy machine: the answers are awaited, not timed.
      const answers = await Promise.all(
        forms.map(({ visitor, token }, i) =>
          send(
            running.baseUrl,
            { method: 'POST', path: '/signin', headers: { ...FORM_TYPE, ...from(`127.0.1.${i}`), cookie: visitor.cookie ?? '' }, body: `name=nobody${i}&password=wrong&_csrf=${encodeURIComponent(token)}` },
            { timeoutMs: 120_000 },
          ),
        ),
      )
      const statuses = answers.map((answer) => answer.status)
      expect(statuses.filter((status) => status !== 422 && status !== 503)).toEqual([])
      const busy = answers.filter((answer) => answer.status === 503)
      expect(busy.length).toBeGreaterThan(0)
      for (const answer of busy) {
        expect(Number(answer.headers['retry-after'])).toBeGreaterThan(0)
        expect(answer.text).toContain('Too many sign-ins are being checked')
      }
    } finally {
      await running.close()
    }
  })
})

describe('state every instance shares', () => {
  it('two instances on one database: one sign-in limit, and a sign-out on one ends the session on both', async () => {
    const access = accessConfig({ editors: [await editor('alice', PASSWORD)], sessionSecret: newKey() })
    const mongodbUri = testDbUri('signin_instances')
    const first = await start({ access }, mongodbUri)
    const second = await start({ access }, mongodbUri)
    try {
      const onFirst = new Visitor(first.baseUrl, from('127.0.0.41'))
      for (let i = 0; i < 10; i++) expect((await onFirst.signIn('alice', `guess ${i}`)).status).toBe(422)
      expect((await new Visitor(second.baseUrl, from('127.0.0.41')).signIn('alice', 'guess 10')).status).toBe(429)

      const alice = new Visitor(first.baseUrl, from('127.0.0.42'))
      expect((await alice.signIn('alice', PASSWORD)).status).toBe(303)
      const front = await alice.get('/')
      // A copy of the cookie taken before the sign-out (a stolen disk, a shared machine).
      const copy = new Visitor(second.baseUrl)
      copy.cookie = alice.cookie
      expect((await copy.get('/')).status).toBe(200)
      expect((await alice.postForm('/signout', { _csrf: csrfToken(front.text) })).status).toBe(303)
      for (const target of [first.baseUrl, second.baseUrl]) {
        const again = new Visitor(target)
        again.cookie = copy.cookie
        expect((await again.get('/')).headers.location).toBe('/signin?next=/')
        const write = await again.postForm('/items/new/form/', { ...formItem(`after sign-out ${target}`), _csrf: csrfToken(front.text) })
        expect(write.status).toBe(303)
        expect(write.headers.location).toBe('/signin?next=/')
      }
      expect(await (await first.items()).count()).toBe(0)
    } finally {
      await second.app.close()
      await first.close()
    }
  })

  it('a new password or a removal from the editors file ends that editor’s sessions', async () => {
    const secret = newKey()
    const mongodbUri = testDbUri('signin_new_password')
    const bob = await editor('bob', PASSWORD)
    const before = await start({ access: accessConfig({ editors: [await editor('alice', PASSWORD), bob], sessionSecret: secret }) }, mongodbUri)
    const newPassword = await start({ access: accessConfig({ editors: [await editor('alice', 'a new password for alice'), bob], sessionSecret: secret }) }, mongodbUri)
    const removed = await start({ access: accessConfig({ editors: [bob], sessionSecret: secret }) }, mongodbUri)
    try {
      const alice = new Visitor(before.baseUrl)
      expect((await alice.signIn('alice', PASSWORD)).status).toBe(303)
      expect((await alice.get('/')).status).toBe(200)
      for (const target of [newPassword.baseUrl, removed.baseUrl]) {
        const elsewhere = new Visitor(target)
        elsewhere.cookie = alice.cookie
        expect((await elsewhere.get('/')).headers.location).toBe('/signin?next=/')
        const page: Answer = await send(target, { method: 'POST', path: '/items/new/form/', headers: { ...FORM_TYPE, cookie: alice.cookie ?? '' }, body: 'name=x&price=1' })
        expect(page.headers.location).toBe('/signin?next=/')
      }
    } finally {
      await removed.app.close()
      await newPassword.app.close()
      await before.close()
    }
  })
})
