// vitest globalSetup: find one MongoDB-protocol server for the whole run and hand its base URI to the
// tests as inject('mongoUri'). Order: MONGODB_URI as is; else testcontainers (mongo:7 by default, or
// TEST_MONGO_IMAGE; TEST_MONGO_NETWORK=host for machines without bridge networks, see .ci/run).
import { MongoClient } from 'mongodb'
import { GenericContainer, Wait, type StartedTestContainer } from 'testcontainers'
import type { TestProject } from 'vitest/node'
import { freeLoopbackPort } from '../helpers/ports.js'

declare module 'vitest' {
  export interface ProvidedContext {
    mongoUri: string
  }
}

const DEFAULT_IMAGE = 'mongo:7'
const READY_TIMEOUT_MS = 60_000
const STOP_TIMEOUT_MS = 10_000

const HOW_TO = [
  'The integration tests need a MongoDB-protocol server. Any one of these works:',
  '  1. MONGODB_URI=mongodb://127.0.0.1:27017/ npm test   (an existing MongoDB or FerretDB; each test file uses its own database)',
  `  2. a running Docker engine that can pull or already has ${DEFAULT_IMAGE} (testcontainers starts it)`,
  '  3. TEST_MONGO_IMAGE=<local image> TEST_MONGO_NETWORK=host with DOCKER_HOST, TESTCONTAINERS_RYUK_DISABLED=true and',
  '     TESTCONTAINERS_HOST_OVERRIDE=127.0.0.1, as .ci/run does with its locally built FerretDB image',
].join('\n')

function log(message: string): void {
  process.stderr.write(`[mongo-server] ${message}\n`)
}

/** The URI with any user:password removed, for logs. */
export function redactUri(uri: string): string {
  return uri.replace(/^([a-z+]+:\/\/)[^@/]*@/i, '$1***@')
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

/** Connect and ping until the server answers or the deadline passes; throws the last error. */
export async function waitForPing(uri: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  let lastError: unknown = new Error('no attempt made')
  // Bounded by both the deadline and an attempt count.
  for (let attempt = 1; attempt <= 200 && Date.now() < deadline; attempt++) {
    const client = new MongoClient(uri, {
      serverSelectionTimeoutMS: 2_000,
      connectTimeoutMS: 2_000,
      directConnection: !uri.startsWith('mongodb+srv:'),
    })
    try {
      await client.connect()
      await client.db('admin').command({ ping: 1 })
      return
    } catch (error) {
      lastError = error
    } finally {
      await client.close().catch(() => undefined)
    }
    await new Promise((resolve) => setTimeout(resolve, 500))
  }
  throw new Error(`no answer to ping within ${timeoutMs} ms: ${errorText(lastError)}`)
}

function isFerretImage(image: string): boolean {
  return /ferret/i.test(image)
}

/** The image and network mode the harness uses, from TEST_MONGO_IMAGE and TEST_MONGO_NETWORK. */
export function mongoContainerSettings(): { image: string; hostNetwork: boolean } {
  return {
    image: process.env.TEST_MONGO_IMAGE?.trim() || DEFAULT_IMAGE,
    hostNetwork: process.env.TEST_MONGO_NETWORK === 'host',
  }
}

/**
 * A container of `image` serving the MongoDB protocol on the host's `port`: with host networking the server
 * binds 127.0.0.1:port itself (a port is required); otherwise container port 27017 is published on `port`,
 * or on a random one when it is undefined.
 */
export function mongoContainer(image: string, hostNetwork: boolean, port: number | undefined): GenericContainer {
  const labels: Record<string, string> = { 'item-store.test': 'mongo' }
  // .ci/run labels what this run starts so its exit trap removes exactly those containers.
  const runId = process.env.ITEM_STORE_CI_RUN
  if (runId !== undefined && runId !== '') labels['item-store.ci-run'] = runId
  const container = new GenericContainer(image).withLabels(labels).withStartupTimeout(READY_TIMEOUT_MS)

  if (hostNetwork) {
    if (port === undefined) throw new Error('host networking needs a loopback port for the server to bind')
    // No ports are exposed, so testcontainers does not wait: the caller pings.
    return isFerretImage(image)
      ? container.withNetworkMode('host').withEnvironment({ FERRETDB_LISTEN_ADDR: `127.0.0.1:${port}` })
      : container.withNetworkMode('host').withCommand(['--bind_ip', '127.0.0.1', '--port', String(port)])
  }

  const published = container.withExposedPorts(port === undefined ? 27017 : { container: 27017, host: port })
  // FerretDB images are FROM scratch (no shell for the port probe) and bind loopback by default.
  return isFerretImage(image)
    ? published
        .withEnvironment({ FERRETDB_LISTEN_ADDR: '0.0.0.0:27017' })
        .withWaitStrategy(Wait.forLogMessage(/Listening on TCP/))
    : published
}

async function startContainer(image: string, hostNetwork: boolean): Promise<{ container: StartedTestContainer; uri: string }> {
  if (hostNetwork) {
    const port = await freeLoopbackPort()
    const started = await mongoContainer(image, true, port).start()
    return { container: started, uri: `mongodb://127.0.0.1:${port}/` }
  }
  const started = await mongoContainer(image, false, undefined).start()
  return { container: started, uri: `mongodb://${started.getHost()}:${started.getMappedPort(27017)}/` }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const external = process.env.MONGODB_URI
  if (external !== undefined && external.trim() !== '') {
    const uri = external.trim()
    try {
      await waitForPing(uri, 10_000)
    } catch (error) {
      throw new Error(`MONGODB_URI=${redactUri(uri)} does not answer: ${errorText(error)}\n${HOW_TO}`)
    }
    log(`using external server ${redactUri(uri)}`)
    project.provide('mongoUri', uri)
    return () => Promise.resolve()
  }

  const { image, hostNetwork } = mongoContainerSettings()
  const startedAt = Date.now()
  let started: { container: StartedTestContainer; uri: string }
  try {
    started = await startContainer(image, hostNetwork)
  } catch (error) {
    throw new Error(`could not start a container from ${image} with testcontainers: ${errorText(error)}\n${HOW_TO}`)
  }
  const { container, uri } = started
  try {
    await waitForPing(uri, READY_TIMEOUT_MS)
  } catch (error) {
    await container.stop({ timeout: STOP_TIMEOUT_MS }).catch(() => undefined)
    throw new Error(`container from ${image} started but ${uri} ${errorText(error)}\n${HOW_TO}`)
  }
  log(
    `using image ${image} (testcontainers${hostNetwork ? ', host network' : ''}) at ${uri}, ready in ${Date.now() - startedAt} ms`,
  )
  project.provide('mongoUri', uri)

  return async () => {
    await container.stop({ timeout: STOP_TIMEOUT_MS })
    log(`stopped container from ${image}`)
  }
}
