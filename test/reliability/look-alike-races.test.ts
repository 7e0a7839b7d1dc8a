// Look-alike names racing: 50 creates at once, each a different spelling of one name as people read it
// (other spaces, Cyrillic, Greek, fullwidth letters), half JSON and half form, split between two instances
// of the service on one database. The unique look-alike key decides: exactly one is stored, and each of
// the 49 others is answered 409 naming the one that was.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startApp, type RunningApp } from '../../harness/app.js'
import { postForm, postJson } from '../../harness/http.js'
import { testDbUri } from '../setup/test-app.js'

// Room for 50 creates queued behind one SQLite writer on a busy machine; this is about who wins.
const DB_OPERATION_TIMEOUT_MS = 15_000

const SPACES = [' ', '\u00A0', '\u2002', '\u2003', '\u2009', '\u202F', '\u205F', '\u3000', '\u1680', '  ']
const A = ['A', '\u0410', '\u0391', '\uFF21']
const E = ['e', '\u0435']

/** 50 different spellings of "Race Ae", all reading the same. */
const RACERS = SPACES.flatMap((space) => A.flatMap((a) => E.map((e) => `Race${space}${a}${e}`)))
  .filter((name, i, all) => all.indexOf(name) === i)
  .slice(0, 50)

let first: RunningApp
let second: RunningApp

beforeAll(async () => {
  const mongodbUri = testDbUri('look_alike_races')
  first = await startApp({ mongodbUri, dbOperationTimeoutMs: DB_OPERATION_TIMEOUT_MS })
  second = await startApp({ mongodbUri, dbOperationTimeoutMs: DB_OPERATION_TIMEOUT_MS })
  await Promise.all([first.app.items.started(), second.app.items.started()])
})
afterAll(async () => {
  await second.app.close()
  await first.close()
})

describe('50 look-alike creates at once, on two instances', () => {
  it('store exactly one; the 49 others are answered 409 naming it', async () => {
    expect(RACERS).toHaveLength(50)
    const answers = await Promise.all(
      RACERS.map(async (name, i) => {
        const target = i % 2 === 0 ? first.baseUrl : second.baseUrl
        const answer = i % 4 < 2 ? await postJson(target, { name, price: 10 + i }) : await postForm(target, { name, price: String(10 + i) })
        return { name, answer }
      }),
    )
    const won = answers.filter(({ answer }) => answer.status === 201 || answer.status === 303)
    expect(won.map(({ name }) => name)).toHaveLength(1)
    const winner = won[0]?.name ?? ''
    const lost = answers.filter(({ answer }) => answer.status === 409)
    expect(lost).toHaveLength(49)
    for (const { answer } of lost) {
      if (answer.contentType.startsWith('application/json')) {
        expect(answer.headers.location).toBe(`/items/${encodeURIComponent(winner)}/`)
        expect((answer.json as { detail: string }).detail).toContain(`"${winner}"`)
      } else {
        expect(answer.text).toContain(`<a href="/catalogue/${encodeURIComponent(winner)}/">see it</a>`)
      }
    }
    const items = await first.items()
    expect(await items.collection.countDocuments({})).toBe(1)
    expect((await items.stored(winner))?._id).toBe(winner)
  })
})
