// A MongoDB-protocol server of a test's own that it can stop (as in a crash) and start again on the same port
// with the same data. A FerretDB process when the binary is installed; otherwise a container of the image the
// test harness uses, stopped and started in place (its filesystem, hence the data, survives a stop).
import { getContainerRuntimeClient } from 'testcontainers'
import { setTimeout as sleep } from 'node:timers/promises'
import { mongoContainer, mongoContainerSettings, waitForPing } from '../setup/mongo-server.js'
import { createFerretDb, ferretDbBinaryPath, findFerretDbBinary } from './ferretdb.js'
import { freeLoopbackPort } from './ports.js'

// A container's first start may include mongod's initial set-up; a restart replays a journal at most.
const FIRST_START_TIMEOUT_MS = 60_000
const RESTART_TIMEOUT_MS = 20_000
const STOP_TIMEOUT_MS = 10_000

export interface StoppableDatabase {
  port: number
  /** Base URI (no database): mongodb://127.0.0.1:<port>/ */
  uri: string
  /** A URI for one database on it. */
  dbUri(name: string): string
  running(): boolean
  /** Starts it again (same port, same data) and waits until it accepts connections. */
  start(): Promise<void>
  /** Stops it; SIGKILL by default, as in a crash. */
  stop(signal?: NodeJS.Signals): Promise<void>
  /** Freezes it (SIGSTOP, or `docker pause`): connections stay open and nothing answers. */
  pause(): Promise<void>
  /** Lets a paused one run on (SIGCONT, or `docker unpause`), with whatever it had received meanwhile. */
  resume(): Promise<void>
  /** Stops it and removes its data. */
  dispose(): Promise<void>
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

/** A running container of the harness's image on a fixed port, whose stop and start keep the container. */
async function createContainerDatabase(): Promise<StoppableDatabase> {
  const { image, hostNetwork } = mongoContainerSettings()
  // Chosen up front, not mapped at random, so that the port is the same after a stop and start.
  const port = await freeLoopbackPort()
  const started = await mongoContainer(image, hostNetwork, port).start()
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
    const timer = sleep(STOP_TIMEOUT_MS).then(() => 'timeout' as const)
    if ((await Promise.race([exited, timer])) === 'timeout') {
      await container.kill({ signal: 'SIGKILL' })
      await exited
    }
    up = false
  }

  try {
    await waitForPing(uri, FIRST_START_TIMEOUT_MS)
  } catch (error) {
    await remove().catch(() => undefined)
    throw new Error(`container from ${image} started but ${uri} ${errorText(error)}`)
  }
  return {
    port,
    uri,
    dbUri: (name) => `${uri}${name}`,
    running: () => up,
    start,
    stop,
    pause: () => container.pause() as Promise<void>,
    resume: () => container.unpause() as Promise<void>,
    dispose: remove,
  }
}

/**
 * FerretDB from FERRETDB_BIN or ~/go/bin/ferretdb when it exists; else a container through testcontainers
 * (TEST_MONGO_IMAGE or mongo:7, TEST_MONGO_NETWORK=host as in the harness); else an error naming both.
 */
export async function createStoppableDatabase(): Promise<StoppableDatabase> {
  const bin = findFerretDbBinary()
  if (bin !== undefined) return createFerretDb(bin)
  try {
    return await createContainerDatabase()
  } catch (error) {
    throw new Error(
      'This test stops and restarts a database of its own, and found no way to run one:\n' +
        `  - no FerretDB binary at ${ferretDbBinaryPath()}: install it with \`bash .ci/install-ferretdb.sh\` (or set FERRETDB_BIN);\n` +
        `  - no container through Docker (testcontainers, image ${mongoContainerSettings().image}): ${errorText(error)}`,
    )
  }
}
