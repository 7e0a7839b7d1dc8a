// `npm run -s editor -- add <name> [--file <path>]`: asks for a password (twice at a terminal, without echo; one
// line from standard input otherwise, for scripts) and prints the EDITORS_FILE line, name:hash, or appends it to
// the file. The password is never an argument, so it stays out of shell history and the process list.
import { appendFileSync } from 'node:fs'
import { createInterface } from 'node:readline'
import { EDITOR_NAME } from './config.js'
import { hashPassword } from './passwords.js'

export const MIN_PASSWORD_LENGTH = 12
const USAGE = 'usage: npm run -s editor -- add <name> [--file <path>]   (the password is asked for, or read as one line from standard input)'

class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message)
  }
}

/**
 * Lines typed at the terminal, not echoed: raw mode, so the terminal shows nothing. Characters after a line's
 * end (pasted text) are kept for the next question.
 */
function hiddenLines(): { ask(prompt: string): Promise<string>; close(): void } {
  const { stdin, stderr } = process
  let typed = ''
  const lines: string[] = []
  let waiting: { resolve: (line: string) => void; reject: (err: Error) => void } | undefined
  const deliver = (): void => {
    const line = lines.shift()
    if (waiting === undefined || line === undefined) return
    const { resolve } = waiting
    waiting = undefined
    stderr.write('\n')
    resolve(line)
  }
  const onData = (chunk: string): void => {
    for (const char of chunk) {
      if (char === '\r' || char === '\n' || char === '\u0004') {
        lines.push(typed)
        typed = ''
      } else if (char === '\u0003') {
        waiting?.reject(new CliError('cancelled', 130))
        waiting = undefined
        return
      } else if (char === '\u007f' || char === '\b') {
        typed = typed.slice(0, -1)
      } else {
        typed += char
      }
    }
    deliver()
  }
  stdin.setRawMode(true)
  stdin.setEncoding('utf8')
  stdin.on('data', onData)
  stdin.resume()
  return {
    ask(prompt) {
      stderr.write(prompt)
      return new Promise((resolve, reject) => {
        waiting = { resolve, reject }
        deliver()
      })
    },
    close() {
      stdin.off('data', onData)
      stdin.setRawMode(false)
      stdin.pause()
    },
  }
}

/** The first line of standard input (a pipe or a file). */
function readLine(): Promise<string> {
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: process.stdin, crlfDelay: Infinity })
    let done = false
    lines.once('line', (line) => {
      done = true
      lines.close()
      resolve(line)
    })
    lines.once('close', () => {
      if (!done) reject(new CliError('no password on standard input: send it as one line', 1))
    })
  })
}

async function readPassword(): Promise<string> {
  if (process.stdin.isTTY) {
    const terminal = hiddenLines()
    try {
      const first = await terminal.ask('Password: ')
      const second = await terminal.ask('The same password again: ')
      if (first !== second) throw new CliError('the two passwords differ; nothing was written', 1)
      return first
    } finally {
      terminal.close()
    }
  }
  return readLine()
}

/** The EDITORS_FILE line, and the file to append it to when --file names one. */
export async function main(args: string[]): Promise<{ line: string; file: string | undefined }> {
  const [command, name, option, file, ...rest] = args
  if (command !== 'add' || name === undefined || (option !== undefined && (option !== '--file' || file === undefined)) || rest.length > 0) {
    throw new CliError(USAGE, 2)
  }
  const normalized = name.normalize('NFC')
  if (!EDITOR_NAME.test(normalized)) {
    throw new CliError(`"${name}" cannot be an editor's name: use letters, digits, ".", "_" and "-" (up to 64 characters)`, 2)
  }
  const password = await readPassword()
  if (Array.from(password).length < MIN_PASSWORD_LENGTH) {
    throw new CliError(`the password must be at least ${MIN_PASSWORD_LENGTH} characters; nothing was written`, 1)
  }
  return { line: `${normalized}:${await hashPassword(password)}`, file }
}

try {
  const { line, file } = await main(process.argv.slice(2))
  if (file === undefined) process.stdout.write(`${line}\n`)
  // Readable by its owner only, as docs/security.md asks of the file.
  else appendFileSync(file, `${line}\n`, { mode: 0o600 })
  process.stderr.write(`${file === undefined ? 'Add that line to the EDITORS_FILE' : `Added to ${file}`}; restart the service to use it.\n`)
} catch (err) {
  if (!(err instanceof CliError)) throw err
  process.stderr.write(`editor: ${err.message}\n`)
  process.exitCode = err.exitCode
}
