// The original demo's own three-call client, against this service: create Item1, read it back, then a price
// of "Not a number". Prints each call's status and body.
//   BASE_URL=http://127.0.0.1:8000 npx tsx examples/original-exchange.ts
const base = process.env.BASE_URL ?? 'http://127.0.0.1:8000'

async function call(method: 'GET' | 'POST', path: string, body?: unknown): Promise<void> {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  console.log(`${method} ${path} -> ${response.status}`)
  console.log(await response.text())
}

await call('POST', '/items/new/', { name: 'Item1', price: 12.34, description: 'Rusty old bucket' })
await call('GET', '/items/Item1/')
await call('POST', '/items/new/', { name: 'Item2', price: 'Not a number' })
