// Plain node:http requests for tests that must send what fetch refuses or rewrites: raw bytes, no
// Content-Type, odd headers, repeated query parameters.
import { request } from 'node:http'

export interface RawAnswer {
  status: number
  contentType: string
  text: string
}

export interface RawRequest {
  method?: string
  path: string
  headers?: Record<string, string | number>
  body?: Buffer | string
}

/** Sends one request to 127.0.0.1:<port> on a fresh connection; resolves with the whole answer. */
export async function rawRequest(port: number, options: RawRequest, timeoutMs = 10_000): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, method: options.method ?? 'GET', path: options.path, headers: options.headers, agent: false },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (chunk: Buffer) => chunks.push(chunk))
        res.on('end', () => {
          resolve({
            status: res.statusCode ?? 0,
            contentType: res.headers['content-type'] ?? '',
            text: Buffer.concat(chunks).toString('utf8'),
          })
        })
        res.on('error', reject)
      },
    )
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)))
    req.on('error', reject)
    req.end(options.body)
  })
}

/** The `detail` of a JSON error body, or undefined when the body is not one. */
export function detailOf(answer: RawAnswer): unknown {
  if (!answer.contentType.startsWith('application/json')) return undefined
  try {
    return (JSON.parse(answer.text) as { detail?: unknown }).detail
  } catch {
    return undefined
  }
}
