// vitest globalSetup: one MongoDB-protocol server for the whole run, handed to the tests as
// inject('mongoUri'): MONGODB_URI as it is, else a container (harness/container.ts). Every database the
// tests make on it carries this run's tag (inject('runTag')); at the end, one still there fails the run.
import { randomBytes } from 'node:crypto'
import { MongoClient } from 'mongodb'
import type { TestProject } from 'vitest/node'
import { findDatabase, type DatabaseServer } from '../../harness/database.js'
import { redactUri, singleHost } from '../../harness/mongo-uri.js'

declare module 'vitest' {
  export interface ProvidedContext {
    mongoUri: string
    runTag: string
    /** Why there is no database for this run ('' when there is one). */
    databaseProblem: string
  }
}

/** Drops the databases on the server whose names carry `runTag`, and names them. */
async function dropDatabasesOfRun(uri: string, runTag: string): Promise<string[]> {
  const client = new MongoClient(uri, { serverSelectionTimeoutMS: 5_000, directConnection: singleHost(uri) })
  try {
    const { databases } = await client.db('admin').admin().listDatabases({ nameOnly: true })
    const left = databases.map((db) => db.name).filter((name) => name.includes(`_${runTag}_`))
    for (const name of left) await client.db(name).dropDatabase()
    return left
  } finally {
    await client.close()
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const startedAt = Date.now()
  let database: DatabaseServer
  try {
    database = await findDatabase(['MONGODB_URI', 'container'])
  } catch (error) {
    // Not thrown: that would stop the tests that need no database from running too.
    const problem = error instanceof Error ? error.message : String(error)
    process.stderr.write(`\n[mongo-server] No database for this run, so the tests that need one fail:\n${problem}\n\n`)
    project.provide('mongoUri', '')
    project.provide('runTag', '')
    project.provide('databaseProblem', problem)
    return async () => undefined
  }
  const runTag = randomBytes(3).toString('hex')
  project.provide('databaseProblem', '')
  process.stderr.write(`[mongo-server] using ${database.description}, ready in ${Date.now() - startedAt} ms\n`)
  project.provide('mongoUri', database.uri)
  project.provide('runTag', runTag)
  return async () => {
    try {
      const left = await dropDatabasesOfRun(database.uri, runTag)
      if (left.length > 0) {
        throw new Error(
          `${left.length} database(s) made by this run were still on ${redactUri(database.uri)} (now dropped): ${left.join(', ')}. ` +
            'Each test file must drop the databases it makes.',
        )
      }
    } finally {
      await database.dispose()
    }
  }
}
