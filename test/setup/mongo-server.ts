// vitest globalSetup: one MongoDB-protocol server for the whole run, handed to the tests as
// inject('mongoUri'): MONGODB_URI as it is, else a container (harness/container.ts).
import type { TestProject } from 'vitest/node'
import { findDatabase } from '../../harness/database.js'

declare module 'vitest' {
  export interface ProvidedContext {
    mongoUri: string
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const startedAt = Date.now()
  const database = await findDatabase(['MONGODB_URI', 'container'])
  process.stderr.write(`[mongo-server] using ${database.description}, ready in ${Date.now() - startedAt} ms\n`)
  project.provide('mongoUri', database.uri)
  return () => database.dispose()
}
