// Finding a MongoDB-protocol server, written once for the vitest global setup, the tests that stop their
// own database, and the bench. Each caller names the ways it accepts, in order:
//   MONGODB_URI  a server that is already running (used as it is, never stopped);
//   ferretdb     a FerretDB process of our own (harness/ferretdb.ts), when a binary is installed;
//   container    a container through testcontainers (harness/container.ts), when Docker answers.
import { waitForPing, type DatabaseServer, type StoppableDatabase } from './database-server.js'
import { ferretDbCandidates, findFerretDb, startFerretDb } from './ferretdb.js'
import { redactUri } from './mongo-uri.js'

export type { DatabaseServer, StoppableDatabase } from './database-server.js'

export type OwnSource = 'ferretdb' | 'container'
export type Source = 'MONGODB_URI' | OwnSource

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

const HOW_TO: Record<Source, string> = {
  MONGODB_URI: 'MONGODB_URI=mongodb://127.0.0.1:27017/ (an existing MongoDB or FerretDB)',
  ferretdb: 'a FerretDB binary at FERRETDB_BIN, $GOBIN, $GOPATH/bin or ~/go/bin (`bash .ci/install-ferretdb.sh` builds it)',
  container:
    'a Docker engine that has or can pull the image (mongo:7, or TEST_MONGO_IMAGE; TEST_MONGO_NETWORK=host for host networking)',
}

async function given(): Promise<DatabaseServer | string> {
  const uri = process.env.MONGODB_URI?.trim() ?? ''
  if (uri === '') return 'MONGODB_URI is not set'
  try {
    await waitForPing(uri, 10_000)
  } catch (error) {
    // Set but not answering is a mistake to report, not a reason to try something else.
    throw new Error(`MONGODB_URI=${redactUri(uri)} does not answer: ${errorText(error)}`)
  }
  return { uri, description: `the server at MONGODB_URI=${redactUri(uri)}`, pid: () => undefined, dispose: async () => undefined }
}

async function own(source: OwnSource): Promise<StoppableDatabase | string> {
  if (source === 'ferretdb') {
    const bin = findFerretDb()
    return bin === undefined ? `no FerretDB binary (looked at ${ferretDbCandidates().join(', ')})` : startFerretDb(bin)
  }
  // Loaded only when asked for: testcontainers is heavy and the bench never uses it.
  const { containerSettings, startContainer } = await import('./container.js')
  try {
    return await startContainer()
  } catch (error) {
    return `no container from ${containerSettings().image}: ${errorText(error)}`
  }
}

/** The first server the `sources` give, in their order; an error naming each way and why it failed otherwise. */
export async function findDatabase(sources: readonly OwnSource[]): Promise<StoppableDatabase>
export async function findDatabase(sources: readonly Source[]): Promise<DatabaseServer>
export async function findDatabase(sources: readonly Source[]): Promise<DatabaseServer> {
  const reasons: string[] = []
  for (const source of sources) {
    const found = source === 'MONGODB_URI' ? await given() : await own(source)
    if (typeof found !== 'string') return found
    reasons.push(`  - ${found}`)
  }
  throw new Error(
    `No MongoDB-protocol server could be found or started:\n${reasons.join('\n')}\n` +
      `Any one of these works:\n${sources.map((source) => `  - ${HOW_TO[source]}`).join('\n')}`,
  )
}
