// `npm run -s editor -- add <name> [--file <path>]`: asks for a password (twice at a terminal, without echo; one
// line from standard input otherwise, for scripts) and prints the EDITORS_FILE line, name:hash, or appends it to
// the file. The password is never an argument, so it stays out of shell history and the process list.
import { appendFileSync } from 'node:fs'
import { createInterface } from 'node:readline'
import { Writable } from 'node:stream'
import { EDITOR_NAME, EDITOR_NAME_RULE, hashPassword } from './passwords.js'

const MIN_PASSWORD_LENGTH = 12
const USAGE = 'usage: npm run -s editor -- add <name> [--file <path>]   (the password is asked for, or read as one line from standard input)'

/** Exit status 2 for a wrong command line, 1 for a password that will not do. */
function fail(message: string, exitCode = 1): never {
  process.stderr.write(`editor: ${message}\n`)
  process.exit(exitCode)
}

/**
 * The password: one line from standard input (a pipe or a file), or at a terminal asked twice without echo
 * (readline's echo goes to a stream that drops it; lines pasted ahead wait for the next question).
 */
async function readPassword(): Promise<string> {
  const terminal = process.stdin.isTTY
  const output = terminal ? new Writable({ write: (_chunk, _encoding, done: () => void) => setImmediate(done) }) : undefined
  const lines = createInterface({ input: process.stdin, output, terminal, crlfDelay: Infinity })
  lines.once('SIGINT', () => {
    process.stderr.write('\n')
    fail('cancelled', 130)
  })
  const next = lines[Symbol.asyncIterator]()
  async function ask(prompt: string): Promise<string> {
    if (terminal) process.stderr.write(prompt)
    const line = await next.next()
    if (terminal) process.stderr.write('\n')
    return line.done === true ? fail('no password on standard input: send it as one line') : line.value
  }
  const first = await ask('Password: ')
  if (terminal && (await ask('The same password again: ')) !== first) fail('the two passwords differ; nothing was written')
  lines.close()
  return first
}

const [command, name, option, file, ...rest] = process.argv.slice(2)
if (command !== 'add' || name === undefined || (option !== undefined && (option !== '--file' || file === undefined)) || rest.length > 0) fail(USAGE, 2)
const normalized = name.normalize('NFC')
if (!EDITOR_NAME.test(normalized)) fail(`"${name}" cannot be an editor's name: use ${EDITOR_NAME_RULE}`, 2)
const password = await readPassword()
if (Array.from(password).length < MIN_PASSWORD_LENGTH) fail(`the password must be at least ${MIN_PASSWORD_LENGTH} characters; nothing was written`)
const line = `${normalized}:${await hashPassword(password)}\n`
if (file === undefined) process.stdout.write(line)
// Readable by its owner only, as docs/security.md asks of the file.
else appendFileSync(file, line, { mode: 0o600 })
process.stderr.write(`${file === undefined ? 'Add that line to the EDITORS_FILE' : `Added to ${file}`}; restart the service to use it.\n`)
