// A MongoDB-protocol server in a container, through testcontainers: mongo:7 by default, or the image named
// by TEST_MONGO_IMAGE; TEST_MONGO_NETWORK=host runs it with host networking (machines without bridge
// networks, such as CI). Its port is chosen up front, so it stays the same across a stop and start.
import { setTimeout as sleep } from 'node:timers/promises'
import { GenericContainer, getContainerRuntimeClient, Wait } from 'testcontainers'
import { waitForPing, type StoppableDatabase } from './database-server.js'
import { freeLoopbackPort } from './ports.js'

const DEFAULT_IMAGE = 'mongo:7'
// A first start may include mongod's initial set-up; a restart replays a journal at most.
const FIRST_START_TIMEOUT_MS = 60_000
const RESTART_TIMEOUT_MS = 20_000
const STOP_TIMEOUT_MS = 10_000

export function containerSettings(): { image: string; hostNetwork: boolean } {
  return {
    image: process.env.TEST_MONGO_IMAGE?.trim() || DEFAULT_IMAGE,
    hostNetwork: process.env.TEST_MONGO_NETWORK === 'host',
  }
}

function definition(image: string, hostNetwork: boolean, port: number): GenericContainer {
  const labels: Record<string, string> = { 'item-store.test': 'mongo' }
  // .ci/run labels what it starts, so that its exit trap removes exactly those containers.
  const runId = process.env.ITEM_STORE_CI_RUN
  if (runId !== undefined && runId !== '') labels['item-store.ci-run'] = runId
  const container = new GenericContainer(image).withLabels(labels).withStartupTimeout(FIRST_START_TIMEOUT_MS)
  const ferret = /ferret/i.test(image)
  if (hostNetwork) {
    // No ports are exposed, so testcontainers does not wait: the caller pings.
    return ferret
      ? container.withNetworkMode('host').withEnvironment({ FERRETDB_LISTEN_ADDR: `127.0.0.1:${port}` })
      : container.withNetworkMode('host').withCommand(['--bind_ip', '127.0.0.1', '--port', String(port)])
  }
  const published = container.withExposedPorts({ container: 27017, host: port })
  // FerretDB images are FROM scratch (no shell for the port probe) and bind loopback unless told otherwise.
  return ferret
    ? published.withEnvironment({ FERRETDB_LISTEN_ADDR: '0.0.0.0:27017' }).withWaitStrategy(Wait.forLogMessage(/Listening on TCP/))
    : published
}

/** Starts a container (see containerSettings) and resolves once the server in it answers a ping. */
export async function startContainer(): Promise<StoppableDatabase> {
  const { image, hostNetwork } = containerSettings()
  const port = await freeLoopbackPort()
  const started = await definition(image, hostNetwork, port).start()
  const client = await getContainerRuntimeClient()
  const container = client.container.getById(started.getId())
  const remove = (): Promise<void> => container.remove({ force: true, v: true }) as Promise<void>
  const uri = `mongodb://${hostNetwork ? '127.0.0.1' : started.getHost()}:${port}/`
  let up = true

  async function start(): Promise<void> {
    if (up) throw new Error('the database container is already running')
    await client.container.start(container)
    up = true
    await waitForPing(uri, RESTART_TIMEOUT_MS)
  }

  async function stop(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    if (!up) return
    const exited = container.wait()
    await container.kill({ signal })
    if ((await Promise.race([exited, sleep(STOP_TIMEOUT_MS, 'timeout' as const)])) === 'timeout') {
      await container.kill({ signal: 'SIGKILL' })
      await exited
    }
    up = false
  }

  try {
    await waitForPing(uri, FIRST_START_TIMEOUT_MS)
  } catch (error) {
    await remove().catch(() => undefined)
    throw error
  }
  return {
    uri,
    port,
    description: `a container from ${image} (testcontainers${hostNetwork ? ', host network' : ''}) at ${uri}`,
    pid: () => undefined,
    running: () => up,
    start,
    stop,
    freeze: () => container.pause() as Promise<void>,
    thaw: () => container.unpause() as Promise<void>,
    dispose: remove,
  }
}
