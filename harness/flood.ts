// Hostile clients for the reliability tests: a flood of sockets that each send a create's head and all but the
// last bytes of a large body, then wait; and a crowd of clients that each send creates as fast as they are
// answered. Bounded in sockets, requests and time; loopback only.
import { readFileSync } from 'node:fs'
import { connect, type Socket } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'

export type BodyKind = 'json' | 'form' | 'multipart'

const BOUNDARY = '----flood-boundary-7d1f'

/** A create body of exactly `bytes` bytes and its Content-Type. */
export function floodBody(kind: BodyKind, bytes: number, name: string): { contentType: string; body: Buffer } {
  const pad = (head: string, tail: string): string => head + 'x'.repeat(Math.max(0, bytes - head.length - tail.length)) + tail
  switch (kind) {
    case 'json':
      return { contentType: 'application/json', body: Buffer.from(pad(`{"name":"${name}","price":1,"description":"`, '"}')) }
    case 'form':
      return { contentType: 'application/x-www-form-urlencoded', body: Buffer.from(pad(`name=${name}&price=1&description=`, '')) }
    case 'multipart': {
      const field = (key: string, value: string): string => `--${BOUNDARY}\r\nContent-Disposition: form-data; name="${key}"\r\n\r\n${value}\r\n`
      const head = field('name', name) + field('price', '1') + `--${BOUNDARY}\r\nContent-Disposition: form-data; name="description"\r\n\r\n`
      return { contentType: `multipart/form-data; boundary=${BOUNDARY}`, body: Buffer.from(pad(head, `\r\n--${BOUNDARY}--\r\n`)) }
    }
  }
}

export interface FloodOptions {
  port: number
  sockets: number
  kinds: BodyKind[]
  /** Declared body length; all but `withheldBytes` of it is sent. */
  bodyBytes: number
  withheldBytes: number
  /** Sockets opening at once, so the client itself stays within bounds. */
  openConcurrency?: number
  /** At most this many sockets opened per second (no pacing when absent). */
  opensPerSecond?: number
  /** Loopback addresses the sockets come from in turn, as from many clients (the server holds each address to a share of its connections). */
  localAddresses?: string[]
}

export interface FloodResult {
  opened: number
  /** Sockets that could not connect or were reset before any answer. */
  dropped: number
  /** First status line's code -> count, for sockets the server answered. */
  answers: Record<string, number>
  /** Sockets still open (unanswered) when the flood was released. */
  heldOpen: number
  bytesSent: number
}

/** A flood in progress: sockets stay open until release(). */
export interface Flood {
  /** Resolves when every socket has been opened (or failed to). */
  opened: Promise<void>
  release(): Promise<FloodResult>
}

export function startFlood(options: FloodOptions): Flood {
  const sockets: Socket[] = []
  const answers: Record<string, number> = {}
  let dropped = 0
  let bytesSent = 0
  const concurrency = options.openConcurrency ?? 200
  const bodies = options.kinds.map((kind) => ({ kind, ...floodBody(kind, options.bodyBytes, `flood-${kind}`) }))

  async function openOne(index: number): Promise<void> {
    const { contentType, body } = bodies[index % bodies.length] as (typeof bodies)[number]
    const path = contentType === 'application/json' ? '/items/new/' : '/items/new/form/'
    await new Promise<void>((resolve) => {
      const localAddress = options.localAddresses?.[index % options.localAddresses.length]
      const socket = connect({ port: options.port, host: '127.0.0.1', ...(localAddress === undefined ? {} : { localAddress }) })
      sockets.push(socket)
      let answered = false
      let settled = false
      const settle = (): void => {
        if (!settled) {
          settled = true
          resolve()
        }
      }
      socket.once('connect', () => {
        const head = `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: ${contentType}\r\nContent-Length: ${body.length}\r\n\r\n`
        const sent = body.subarray(0, body.length - options.withheldBytes)
        socket.write(head)
        socket.write(sent, () => {
          bytesSent += head.length + sent.length
          settle()
        })
        // Resolve without waiting for the write when the server answers first (it may never read the body).
        setTimeout(settle, 1_000).unref()
      })
      socket.once('data', (chunk: Buffer) => {
        answered = true
        const status = /^HTTP\/1\.1 (\d{3})/.exec(chunk.toString('latin1'))?.[1] ?? 'other'
        answers[status] = (answers[status] ?? 0) + 1
      })
      socket.on('error', () => undefined)
      socket.once('close', () => {
        if (!answered) dropped++
        settle()
      })
    })
  }

  const opened = (async () => {
    let next = 0
    const started = performance.now()
    const workers = Array.from({ length: concurrency }, async () => {
      while (next < options.sockets) {
        const index = next++
        if (options.opensPerSecond !== undefined) {
          const due = started + (index * 1000) / options.opensPerSecond - performance.now()
          if (due > 0) await sleep(due)
        }
        await openOne(index)
      }
    })
    await Promise.all(workers)
  })()

  return {
    opened,
    async release() {
      await opened
      const heldOpen = sockets.filter((socket) => !socket.destroyed && !socket.closed).length
      const result = { opened: sockets.length, dropped, answers: { ...answers }, heldOpen, bytesSent }
      for (const socket of sockets) socket.destroy()
      await sleep(100)
      return result
    },
  }
}

/** A memory figure of a process from /proc/<pid>/status in kB (VmHWM: its peak RSS; VmRSS: now); 0 when gone. */
export function procStatusKb(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  try {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
    return match?.[1] === undefined ? 0 : Number(match[1])
  } catch {
    return 0
  }
}
