// Several instances on one database: three server processes (src/server.ts through tsx, as separate
// processes as a deployment runs them) share one database. Insert-only holds across them, and losing one
// instance to SIGKILL under load loses no acknowledged create while the other two keep answering.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { get, postJson } from '../../harness/http.js'
import { openItems, type ItemsCollection } from '../../harness/items.js'
import { ServerProcess } from '../../harness/server-process.js'
import { testDbUri } from '../setup/test-app.js'

const ROOT = resolve(import.meta.dirname, '../..')
const INSTANCES = 3
// Load bounds: at most this many creates, for at most this long, from this many clients.
const MAX_REQUESTS = 1_500
const MAX_LOAD_MS = 6_000
const CLIENTS = 6
// A steady load: each client pauses this long between creates (a few hundred a second in all).
const PACE_MS = 10
// SIGKILL once this many creates were acknowledged, or at this time, whichever comes first.
const KILL_AFTER_ACKS = 400
const KILL_AT_MS = 2_000
// Each survivor must answer at least this many creates after the kill: "keeps answering".
const MIN_ANSWERS_AFTER_KILL = 10

interface Instance {
  index: number
  server: ServerProcess
}

const mongodbUri = testDbUri('instances')
const logDir = mkdtempSync(join(tmpdir(), 'item-store-instances-'))
const instances: Instance[] = []
let items: ItemsCollection | undefined

beforeAll(async () => {
  for (let index = 0; index < INSTANCES; index++) {
    const server = await ServerProcess.start({
      args: ['--import', 'tsx', join(ROOT, 'src', 'server.ts')],
      cwd: ROOT,
      // RATE_LIMIT_CREATES=0: every client here shares one address, far over the default 120 a minute.
      env: { MONGODB_URI: mongodbUri, LOG_LEVEL: 'warn', RATE_LIMIT_CREATES: '0' },
      logPath: join(logDir, `instance-${index}.log`),
    })
    instances.push({ index, server })
  }
  items = await openItems(mongodbUri)
})

afterAll(async () => {
  for (const { server } of instances) await server.stop(1_000)
  await items?.dropAndClose()
  rmSync(logDir, { recursive: true, force: true })
})

async function storedItems(): Promise<Map<string, number>> {
  if (items === undefined) throw new Error('no database client: beforeAll failed')
  return items.prices()
}

async function create(baseUrl: string, name: string, priceCents: number): Promise<number> {
  return (await postJson(baseUrl, { name, price: priceCents / 100 })).status
}

describe('three instances on one database', () => {
  it('60 different items under one name, spread over the three, give exactly one 201', async () => {
    const name = 'One name, three instances'
    const answers = await Promise.all(
      Array.from({ length: 60 }, async (_, i) => {
        const instance = instances[i % INSTANCES] as Instance
        // Different prices: an identical item sent again would be a safe retry answered 200.
        return { instance: instance.index, priceCents: 100 + i, status: await create(instance.server.baseUrl, name, 100 + i) }
      }),
    )
    const winners = answers.filter((answer) => answer.status === 201)
    expect(winners).toHaveLength(1)
    expect(answers.filter((answer) => answer.status === 409)).toHaveLength(59)
    const stored = await storedItems()
    expect(stored.get(name)).toBe(winners[0]?.priceCents)
    process.stderr.write(
      `[reliability] instances: 60 creates of one name over ${INSTANCES} processes: 1 x 201 (instance ${winners[0]?.instance}), 59 x 409\n`,
    )
  })

  it('one instance killed with SIGKILL under load: the other two keep answering, and every acknowledged create is stored', async () => {
    const victim = instances[0] as Instance
    const survivors = instances.filter((instance) => instance !== victim)
    interface Attempt {
      name: string
      priceCents: number
      /** Each try: which instance, and its status or how it failed. */
      tries: { instance: number; afterKill: boolean; status?: number; failure?: 'refused' | 'reset' }[]
    }
    const attempts: Attempt[] = []
    const state = { killedAt: 0, acked: 0 }
    const started = Date.now()
    const within = (): boolean => attempts.length < MAX_REQUESTS && Date.now() - started < MAX_LOAD_MS

    // Each client spreads its creates over the three in turn. A create that got no answer is sent again,
    // identical, to the next instance, as a load balancer or a client would: an identical stored item
    // answers 200, so the retry is safe whether or not the first try was stored.
    async function client(id: number): Promise<void> {
      for (let i = 0; within(); i++) {
        const attempt: Attempt = { name: `load-${id}-${i}`, priceCents: id * 100_000 + i + 1, tries: [] }
        attempts.push(attempt)
        for (let hop = 0; hop < INSTANCES; hop++) {
          const instance = instances[(id + i + hop) % INSTANCES] as Instance
          const tried: Attempt['tries'][number] = { instance: instance.index, afterKill: state.killedAt !== 0 }
          attempt.tries.push(tried)
          try {
            tried.status = await create(instance.server.baseUrl, attempt.name, attempt.priceCents)
            if (tried.status === 201) state.acked++
            break
          } catch (err) {
            const code = (err as NodeJS.ErrnoException).code
            tried.failure = code === 'ECONNREFUSED' ? 'refused' : 'reset'
          }
        }
        await sleep(PACE_MS)
      }
    }

    const clients = Array.from({ length: CLIENTS }, (_, id) => client(id))
    while (state.acked < KILL_AFTER_ACKS && Date.now() - started < KILL_AT_MS) await sleep(20)
    state.killedAt = Date.now()
    victim.server.child.kill('SIGKILL')
    await Promise.all(clients)
    expect(await victim.server.exited).toMatchObject({ code: null, signal: 'SIGKILL' })

    const tries = attempts.flatMap((attempt) => attempt.tries)
    // Before the kill, all three took creates.
    for (const instance of instances) {
      expect(tries.filter((t) => t.instance === instance.index && !t.afterKill && t.status === 201).length).toBeGreaterThan(0)
    }
    // After it, each survivor answered every create sent to it, at least MIN_ANSWERS_AFTER_KILL of them.
    for (const survivor of survivors) {
      const mine = tries.filter((t) => t.instance === survivor.index && t.afterKill)
      expect(mine.filter((t) => t.failure !== undefined)).toEqual([])
      expect(mine.length).toBeGreaterThanOrEqual(MIN_ANSWERS_AFTER_KILL)
      expect((await get(survivor.server.baseUrl, '/readyz')).status).toBe(200)
    }

    const stored = await storedItems()
    const final = attempts.map((attempt) => ({ attempt, last: attempt.tries.at(-1) }))
    const acknowledged = final.filter(({ last }) => last?.status === 201 || last?.status === 200)
    // Every create answered 201 (or 200: already stored by an earlier try) is stored, with its price.
    expect(acknowledged.filter(({ attempt }) => stored.get(attempt.name) !== attempt.priceCents).map(({ attempt }) => attempt.name)).toEqual([])
    // A 503 from a survivor (the database busy past its bound) is a refusal: nothing stored.
    const refused = final.filter(({ last }) => last?.status === 503)
    expect(refused.filter(({ attempt }) => stored.has(attempt.name)).map(({ attempt }) => attempt.name)).toEqual([])
    expect(final.filter(({ last }) => ![200, 201, 503].includes(last?.status ?? 0)).map(({ attempt, last }) => `${attempt.name}: ${JSON.stringify(last)}`)).toEqual([])
    // Everything stored was asked for.
    const asked = new Set(attempts.map((attempt) => attempt.name).concat('One name, three instances'))
    expect([...stored.keys()].filter((name) => !asked.has(name))).toEqual([])

    const count = (predicate: (t: Attempt['tries'][number]) => boolean): number => tries.filter(predicate).length
    const retried = attempts.filter((attempt) => attempt.tries.length > 1)
    process.stderr.write(
      `[reliability] instances: ${attempts.length} creates from ${CLIENTS} clients in ${Date.now() - started} ms; ` +
        `SIGKILL of instance 0 after ${state.killedAt - started} ms; 201s per instance ${instances.map((instance) => count((t) => t.instance === instance.index && t.status === 201)).join('/')}; ` +
        `after the kill ${survivors.map((s) => count((t) => t.instance === s.index && t.afterKill)).join(' and ')} answers from the survivors; ` +
        `${count((t) => t.failure === 'reset')} reset and ${count((t) => t.failure === 'refused')} refused at the killed one, ` +
        `${retried.length} sent again (${retried.filter((a) => a.tries.at(-1)?.status === 200).length} answered 200: the first try had been stored); ` +
        `${acknowledged.length} acknowledged, all stored; ${refused.length} x 503, none stored\n`,
    )
  })
})
