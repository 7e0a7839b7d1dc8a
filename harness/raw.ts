// A raw TCP exchange with a server, for what the HTTP client cannot do: a body announced and never sent, bytes
// written after an answer began, a connection the server is expected to close.
import { connect, type Socket } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'

export interface Exchange {
  socket: Socket
  /** Everything received so far (latin1, so any byte reads back as one character). */
  received(): string
  /** Waits until what was received matches `pattern` (polling, at most `ms`), and returns it all. */
  until(pattern: string | RegExp, ms?: number): Promise<string>
  /** Waits for the end of the first answer's head. */
  head(ms?: number): Promise<string>
  /** Resolves with what was received once the server has closed the connection, or after `ms` with `open: true`. */
  closed(ms: number): Promise<{ text: string; open: boolean }>
}

/** Connects to `baseUrl`'s port (from `localAddress`, a loopback address) and writes `data` at once. */
export function exchange(baseUrl: string, data: string, localAddress = '127.0.0.1'): Exchange {
  const socket = connect({ port: Number(new URL(baseUrl).port), host: '127.0.0.1', localAddress })
  let text = ''
  let ended = false
  socket.on('data', (chunk: Buffer) => (text += chunk.toString('latin1')))
  socket.on('error', () => undefined)
  const end = new Promise<void>((resolve) => {
    socket.once('close', () => {
      ended = true
      resolve()
    })
  })
  socket.once('connect', () => socket.write(data))
  const until = async (pattern: string | RegExp, ms = 60_000): Promise<string> => {
    const deadline = Date.now() + ms
    while (typeof pattern === 'string' ? !text.includes(pattern) : !pattern.test(text)) {
      if (Date.now() > deadline) throw new Error(`nothing matching ${String(pattern)} within ${ms} ms; got ${JSON.stringify(text)}`)
      await sleep(20)
    }
    return text
  }
  return {
    socket,
    received: () => text,
    until,
    head: (ms) => until('\r\n\r\n', ms),
    async closed(ms) {
      await Promise.race([end, sleep(ms)])
      return { text, open: !ended }
    },
  }
}
