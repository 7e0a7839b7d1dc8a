// Bringing a catalogue in and taking it out, over real HTTP: exports in name order with every item once, the
// spreadsheet guard and its undoing, a round trip into an empty database that gives byte-identical files, each
// import row answered as the JSON create would answer it, and whole files refused before any row is stored.
import { request as httpRequest } from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RunningApp } from '../../harness/app.js'
import { get, postJson, send } from '../../harness/http.js'
import { CSV_TYPE, generatedCsv, generatedItem, importFile, NDJSON_TYPE } from '../../harness/transfer.js'
import { startTestApp } from '../setup/test-app.js'

// Names and descriptions a spreadsheet would run as formulas, or that start with the guard itself; quotes,
// separators, line breaks, code points beyond the BMP; money at its bounds; "" beside null.
const TRICKY = [
  { name: '=SUM(A1:A9)', price: 1, description: '=HYPERLINK("http://example.com","x")', tax: null },
  { name: '+1', price: 0.01, description: '+ plus', tax: 0 },
  { name: '-2', price: 9999999999999.99, description: '-minus', tax: 9999999999999.99 },
  { name: '@SUM', price: 12.34, description: '@at', tax: 1.5 },
  { name: "'quoted", price: 3, description: "'=already guarded once", tax: null },
  { name: "''two", price: 4, description: "''", tax: null },
  { name: 'tab and cr', price: 5, description: '\tstarts with a tab\r\nand has CRLF, "quotes", commas', tax: null },
  { name: 'empty description', price: 6, description: '', tax: null },
  { name: 'no description', price: 7, description: null, tax: 0.1 },
  { name: 'Čajník 𝄞 ＝fullwidth', price: 8.5, description: '＠fullwidth at', tax: null },
  { name: 'a,b;c "d"', price: 100, description: 'line\nbreak', tax: 2 },
  { name: "plain'apostrophe", price: 9, description: "it's", tax: null },
]

async function exportOf(baseUrl: string, kind: 'csv' | 'ndjson'): Promise<string> {
  const answer = await get(baseUrl, `/export/items.${kind}`)
  expect(answer.status).toBe(200)
  return answer.text
}

describe('import and export', () => {
  let source: RunningApp
  let target: RunningApp
  beforeAll(async () => {
    ;[source, target] = await Promise.all([startTestApp('transfer_source'), startTestApp('transfer_target')])
  })
  afterAll(async () => {
    await Promise.all([source.close(), target.close()])
  })

  it('exports an empty catalogue as a CSV header alone and an empty NDJSON file, named with the date', async () => {
    const csv = await get(target.baseUrl, '/export/items.csv')
    expect(csv.text).toBe('name,price,description,tax\r\n')
    expect(csv.contentType).toBe('text/csv; charset=utf-8; header=present')
    const today = new Date().toISOString().slice(0, 10)
    expect(csv.headers['content-disposition']).toBe(`attachment; filename="items-${today}.csv"`)
    const ndjson = await get(target.baseUrl, '/export/items.ndjson')
    expect(ndjson.text).toBe('')
    expect(ndjson.contentType).toBe('application/x-ndjson; charset=utf-8')
    expect(ndjson.headers['content-disposition']).toBe(`attachment; filename="items-${today}.ndjson"`)
  })

  it('round-trips a catalogue through CSV and NDJSON into an empty database with byte-identical exports and exact money', async () => {
    for (const item of TRICKY) expect((await postJson(source.baseUrl, item)).status, item.name).toBe(201)
    const csv = await exportOf(source.baseUrl, 'csv')
    const ndjson = await exportOf(source.baseUrl, 'ndjson')

    // Every line of the NDJSON export is exactly the body of GET /items/<name>/, every item once, in code point order.
    const lines = ndjson.trimEnd().split('\n')
    const listed = (await get(source.baseUrl, '/items/?limit=100')).json as { items: { name: string }[] }
    const byCodePoint = listed.items.map((item) => item.name).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)))
    expect(lines.map((line) => (JSON.parse(line) as { name: string }).name)).toEqual(byCodePoint)
    for (const line of lines) {
      const { name } = JSON.parse(line) as { name: string }
      expect((await get(source.baseUrl, `/items/${encodeURIComponent(name)}/`)).text).toBe(line)
    }

    // The spreadsheet guard: no cell starts like a formula; the guard itself is guarded.
    expect(csv).toContain("'=SUM(A1:A9),1.00,\"'=HYPERLINK(\"\"http://example.com\"\",\"\"x\"\")\",\r\n")
    expect(csv).toContain("'+1,0.01,'+ plus,0.00\r\n")
    expect(csv).toContain("''quoted,3.00,''=already guarded once,\r\n")
    expect(csv).toContain("'''two,4.00,''',\r\n")
    expect(csv).toContain('empty description,6.00,"",\r\n')
    expect(csv).toContain('no description,7.00,,0.10\r\n')
    expect(csv).toContain("'-2,9999999999999.99,'-minus,9999999999999.99\r\n")
    expect(csv).toContain('"a,b;c ""d""",100.00,"line\nbreak",2.00\r\n')
    expect(csv).toContain('tab and cr,5.00,"\'\tstarts with a tab\r\nand has CRLF, ""quotes"", commas",\r\n')
    expect(csv).toContain("Čajník 𝄞 ＝fullwidth,8.50,'＠fullwidth at,\r\n")

    const viaCsv = await importFile(target.baseUrl, csv, CSV_TYPE)
    expect(viaCsv.answer.status).toBe(200)
    expect(viaCsv.summary).toEqual({ created: TRICKY.length, unchanged: 0, conflict: 0, invalid: 0, unknown: 0, skipped: 0 })
    expect(await exportOf(target.baseUrl, 'csv')).toBe(csv)
    expect(await exportOf(target.baseUrl, 'ndjson')).toBe(ndjson)
    // Money exact in the database: the same int64 hundredths.
    expect(await (await target.items()).prices()).toEqual(await (await source.items()).prices())

    // And through NDJSON into an empty database again.
    await (await target.items()).collection.deleteMany({})
    const viaNdjson = await importFile(target.baseUrl, ndjson, NDJSON_TYPE)
    expect(viaNdjson.summary?.created).toBe(TRICKY.length)
    expect(await exportOf(target.baseUrl, 'ndjson')).toBe(ndjson)
    expect(await exportOf(target.baseUrl, 'csv')).toBe(csv)

    // The same file again changes nothing: every row unchanged.
    const again = await importFile(target.baseUrl, csv, CSV_TYPE)
    expect(again.rows.map((row) => row.result)).toEqual(TRICKY.map(() => 'unchanged'))
  })

  it('answers every row in file order with what the JSON create would answer, and a bad row never stops the rows after it', async () => {
    expect((await postJson(target.baseUrl, { name: 'taken', price: 1 })).status).toBe(201)
    const csv = [
      'Tax,  PRICE ,name,description', // columns by name, in any order, case and spaces around them ignored
      ',1,fresh-1,',
      ',1,taken,', // the same item as stored: unchanged
      ',2,taken,', // another item under a taken name: conflict
      ',not a price,bad price,',
      '0.5,1.234,too precise,',
      ',,no price,',
      ',3,fresh-1,', // the name is taken by the file's own first row
      ',1,"  fresh-2  ",', // trimmed like any name
      '',
      ',1,fresh-3,,extra value',
      '1,1,C\u030cajnik,', // composed to NFC like any name
      ',1,fresh-4,',
    ].join('\r\n')
    const { answer, rows, summary } = await importFile(target.baseUrl, `\uFEFF${csv}\r\n`, CSV_TYPE)
    expect(answer.status).toBe(200)
    expect(answer.headers['import-rows']).toBe('11')
    expect(rows.map((row) => [row.line, row.name, row.result])).toEqual([
      [2, 'fresh-1', 'created'],
      [3, 'taken', 'unchanged'],
      [4, 'taken', 'conflict'],
      [5, 'bad price', 'invalid'],
      [6, 'too precise', 'invalid'],
      [7, 'no price', 'invalid'],
      [8, 'fresh-1', 'conflict'],
      [9, 'fresh-2', 'created'],
      [11, 'fresh-3', 'invalid'],
      [12, 'Čajnik', 'created'],
      [13, 'fresh-4', 'created'],
    ])
    expect(summary).toEqual({ created: 4, unchanged: 1, conflict: 2, invalid: 4, unknown: 0, skipped: 0 })
    // The details are the JSON create's own.
    const single = await postJson(target.baseUrl, { name: 'bad price', price: 'not a price' })
    expect(rows[3]?.detail).toEqual((single.json as { detail: unknown }).detail)
    expect(rows[2]?.detail).toBe(((await postJson(target.baseUrl, { name: 'taken', price: 2 })).json as { detail: unknown }).detail)
    expect(rows[5]?.detail).toEqual([{ loc: ['body', 'price'], msg: 'price is required', type: 'missing' }])
    expect(rows[8]?.detail).toBe('The row has 5 values but the header names 4 columns')
    expect((await get(target.baseUrl, '/items/bad%20price/')).status).toBe(404)
    expect((await get(target.baseUrl, '/items/taken/')).json).toEqual({ name: 'taken', price: 1, description: null, tax: null })
    expect((await get(target.baseUrl, '/items/fresh-1/')).json).toEqual({ name: 'fresh-1', price: 1, description: null, tax: null })
  })

  it('imports NDJSON lines as JSON create bodies: exact number texts, nulls, lines that are not JSON objects', async () => {
    const body = [
      '{"name": "nd-1", "price": 12.3400000000000000001}',
      '{"name": "nd-2", "price": "12.30", "description": null, "tax": 1e1, "unknown": true}',
      'not json',
      '',
      '[1, 2]',
      '{"name": "nd-3", "price": 1, "__proto__": {}}',
    ].join('\n')
    const { rows } = await importFile(target.baseUrl, body, NDJSON_TYPE)
    expect(rows.map((row) => [row.line, row.name, row.result])).toEqual([
      [1, 'nd-1', 'invalid'],
      [2, 'nd-2', 'created'],
      [3, null, 'invalid'],
      [5, null, 'invalid'],
      [6, null, 'invalid'],
    ])
    expect(rows[0]?.detail).toEqual([{ loc: ['body', 'price'], msg: 'price must have at most 2 digits after the decimal point', type: 'decimal_max_places' }])
    expect(rows[2]?.detail).toMatch(/^The request body is not valid JSON/)
    expect(rows[4]?.detail).toBe('The JSON body contains a forbidden "__proto__" key')
    expect((await get(target.baseUrl, '/items/nd-2/')).json).toEqual({ name: 'nd-2', price: 12.3, description: null, tax: 10 })
  })

  it('imports several batches in one request, every row answered and stored, and answers the same file again unchanged', async () => {
    const rows = 2_345
    const csv = generatedCsv(rows)
    const first = await importFile(target.baseUrl, csv, CSV_TYPE)
    expect(first.summary).toEqual({ created: rows, unchanged: 0, conflict: 0, invalid: 0, unknown: 0, skipped: 0 })
    expect(first.rows.map((row) => row.line)).toEqual(Array.from({ length: rows }, (_, i) => i + 2))
    const items = await target.items()
    expect(await items.collection.countDocuments({ _id: { $regex: /^gen-/ } })).toBe(rows)
    const sample = generatedItem(1_234)
    expect((await get(target.baseUrl, `/items/${sample.name}/`)).json).toEqual({
      name: sample.name,
      price: Number(sample.price),
      description: sample.description,
      tax: sample.tax === null ? null : Number(sample.tax),
    })
    const again = await importFile(target.baseUrl, csv, CSV_TYPE)
    expect(again.summary).toEqual({ created: 0, unchanged: rows, conflict: 0, invalid: 0, unknown: 0, skipped: 0 })

    // Once most names were taken, later batches read the stored ones first and insert only the rest: a changed
    // row, a look-alike of a stored name and a new one are still each answered as a single create would be.
    const changed = generatedItem(1_500)
    const mixed = `${csv.replace(`${changed.name},${changed.price},`, `${changed.name},0.01,`)}ｇen-0001600,1.00,,\nnew-0000001,2.00,,\n`
    const third = await importFile(target.baseUrl, mixed, CSV_TYPE)
    expect(third.summary).toEqual({ created: 1, unchanged: rows - 1, conflict: 2, invalid: 0, unknown: 0, skipped: 0 })
    expect(third.rows.filter((row) => row.result !== 'unchanged').map(({ line, name, result }) => ({ line, name, result }))).toEqual([
      { line: 1_502, name: changed.name, result: 'conflict' },
      { line: rows + 2, name: 'ｇen-0001600', result: 'conflict' },
      { line: rows + 3, name: 'new-0000001', result: 'created' },
    ])
    expect(JSON.stringify(third.rows[rows]?.detail)).toContain('gen-0001600')
  })
})

describe('files refused whole, before any row is stored', () => {
  let running: RunningApp
  beforeAll(async () => {
    running = await startTestApp('transfer_refusals')
  })
  afterAll(async () => {
    await running.close()
  })

  async function refused(body: string | Buffer, headers: Record<string, string>, status: number, detail: RegExp): Promise<void> {
    const { answer } = await importFile(running.baseUrl, body, headers)
    expect(answer.status, answer.text).toBe(status)
    expect((answer.json as { detail: string }).detail).toMatch(detail)
    expect(await (await running.items()).count()).toBe(0)
  }

  it('a missing, wrong or incomplete header: 422 naming the column', async () => {
    await refused('nam,price\nx,1\n', CSV_TYPE, 422, /unknown column "nam"/)
    await refused('x,1\ny,2\n', CSV_TYPE, 422, /the first row must be the header.*unknown column "x"/i)
    await refused('name,description\nx,y\n', CSV_TYPE, 422, /no "price" column/)
    await refused('name,price,name\nx,1,x\n', CSV_TYPE, 422, /"name" twice/)
    await refused('', CSV_TYPE, 422, /The file is empty/)
    await refused('name,price\nok,1\nbroken,"1\nmore,2\n', CSV_TYPE, 422, /Row 3 opens a quoted value/)
  })

  it('bytes that are not UTF-8 anywhere in the file: 400', async () => {
    const good = generatedCsv(3_000)
    await refused(Buffer.concat([Buffer.from(good), Buffer.from([0x78, 0xff, 0x2c, 0x31, 0x0a])]), CSV_TYPE, 400, /not UTF-8/)
    await refused(Buffer.concat([Buffer.from('{"name":"a","price":1}\n{"name":"'), Buffer.from([0xc3]), Buffer.from('"}\n')]), NDJSON_TYPE, 400, /not UTF-8/)
  })

  it('another content type or charset: 415, before the body is read', async () => {
    await refused('name,price\nx,1\n', { 'content-type': 'application/json' }, 415, /text\/csv or application\/x-ndjson/)
    await refused('name,price\nx,1\n', { 'content-type': 'text/csv; charset=latin1' }, 415, /UTF-8/)
    await refused('name,price\nx,1\n', {}, 415, /got none/)
  })

  it('over the row limit: 413', async () => {
    const rows = Array.from({ length: 200_001 }, (_, i) => `r${i},1`).join('\n')
    await refused(`name,price\n${rows}\n`, CSV_TYPE, 413, /more than 200,000 rows/)
  })

  it('over the byte limit, declared: 413 before a byte of the body is read', async () => {
    const answer = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const { hostname, port } = new URL(running.baseUrl)
      const req = httpRequest({ host: hostname, port, method: 'POST', path: '/import/items', headers: { ...CSV_TYPE, 'content-length': 64 * 2 ** 20 + 1 } }, (res) => {
        let text = ''
        res.on('data', (chunk: Buffer) => (text += chunk.toString()))
        res.on('end', () => { resolve({ status: res.statusCode ?? 0, text }); })
      })
      req.on('error', reject)
      req.write('name,price\n')
    })
    expect(answer.status).toBe(413)
    expect(answer.text).toMatch(/larger than 64 MiB/)
  })
})

describe('limits on imports and exports', () => {
  let running: RunningApp
  beforeAll(async () => {
    running = await startTestApp('transfer_limits', { importRowsPerHour: 5, rateLimitCreates: 100 }, { fastify: { trustProxy: true } })
  })
  afterAll(async () => {
    await running.close()
  })

  it('takes the rows of an import from the writer’s hourly budget, refusing a file that does not fit with nothing stored', async () => {
    const from = { 'x-forwarded-for': '192.0.2.1' }
    expect((await importFile(running.baseUrl, generatedCsv(3), { ...CSV_TYPE, ...from })).summary?.created).toBe(3)
    const over = await importFile(running.baseUrl, generatedCsv(3, 100), { ...CSV_TYPE, ...from })
    expect(over.answer.status).toBe(429)
    expect(Number(over.answer.headers['retry-after'])).toBeGreaterThan(3_000)
    expect((over.answer.json as { detail: string }).detail).toMatch(/3 rows, and 2 of the 5 import rows an hour.*nothing was stored/)
    expect((await get(running.baseUrl, `/items/${generatedItem(100).name}/`)).status).toBe(404)
    // Another writer has a budget of their own.
    expect((await importFile(running.baseUrl, generatedCsv(3, 200), { ...CSV_TYPE, 'x-forwarded-for': '192.0.2.2' })).summary?.created).toBe(3)
  })

  it('answers the import form (multipart, without JavaScript) with a results page listing the rows not imported', async () => {
    const boundary = 'form-boundary-1234'
    const body = [
      `--${boundary}`,
      'Content-Disposition: form-data; name="file"; filename="some.csv"',
      'Content-Type: text/csv',
      '',
      'name,price\nform-ok,1\nform-bad,twelve\n',
      `--${boundary}--`,
      '',
    ].join('\r\n')
    const answer = await send(running.baseUrl, { method: 'POST', path: '/import/', headers: { 'content-type': `multipart/form-data; boundary=${boundary}`, 'x-forwarded-for': '192.0.2.40' }, body })
    expect(answer.status).toBe(200)
    expect(answer.contentType).toMatch(/^text\/html/)
    expect(answer.text).toContain('some.csv: 2 rows, 1 created.')
    expect(answer.text).toContain('<td>3</td><td>form-bad</td><td>invalid: price must be a decimal number')
    expect(answer.text).toMatch(/href="data:application\/x-ndjson;charset=utf-8;base64,[A-Za-z0-9+/=]+">Download the full results/)
    expect((await get(running.baseUrl, '/items/form-ok/')).status).toBe(200)
  })

  it('counts an import request as one create of the address’s create limit, before its body is read', async () => {
    const limited = await startTestApp('transfer_create_limit', { rateLimitCreates: 1 })
    try {
      expect((await importFile(limited.baseUrl, generatedCsv(2))).summary?.created).toBe(2)
      const second = await importFile(limited.baseUrl, generatedCsv(2, 10))
      expect(second.answer.status).toBe(429)
      expect(await (await limited.items()).count()).toBe(2)
    } finally {
      await limited.close()
    }
  })
})
