// What the harness's database servers are, and how it knows one answers.
import { MongoClient } from 'mongodb'
import { redactUri, singleHost } from './mongo-uri.js'

export interface DatabaseServer {
  /** Base URI, without a database name. */
  uri: string
  description: string
  /** The server's process id when it is a process of ours (the bench reads its CPU time). */
  pid(): number | undefined
  /** Stops it if it is ours and removes what we made for it; a given server is left as it is. */
  dispose(): Promise<void>
}

/** A server of our own that can be killed, as in a crash, and started again on the same port with the same data. */
export interface StoppableDatabase extends DatabaseServer {
  port: number
  running(): boolean
  /** Starts it again and waits until it answers. */
  start(): Promise<void>
  /** Stops it; SIGKILL by default. */
  stop(signal?: NodeJS.Signals): Promise<void>
  /** Freezes it (SIGSTOP, or a paused container): connections stay open and nothing answers. */
  freeze(): Promise<void>
  thaw(): Promise<void>
}

/** Whether the server answers a ping within `timeoutMs`. */
export async function ping(uri: string, timeoutMs: number): Promise<boolean> {
  const client = new MongoClient(uri, {
    serverSelectionTimeoutMS: timeoutMs,
    connectTimeoutMS: timeoutMs,
    directConnection: singleHost(uri),
  })
  try {
    await client.db('admin').command({ ping: 1 })
    return true
  } catch {
    return false
  } finally {
    await client.close().catch(() => undefined)
  }
}

/** Pings until the server answers; bounded by `timeoutMs` and an attempt count. */
export async function waitForPing(uri: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (let attempt = 1; attempt <= 200 && Date.now() < deadline; attempt++) {
    if (await ping(uri, 2_000)) return
    await new Promise((resolve) => setTimeout(resolve, 250))
  }
  throw new Error(`${redactUri(uri)} did not answer a ping within ${timeoutMs} ms`)
}

