// `npm run editor -- add <name>` as a script would run it: the password as one line on standard input.
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { parseHash, verifyPassword, type ScryptHash } from '../../src/auth/passwords.js'
import { loadConfig } from '../../src/config.js'

interface Run {
  status: number | null
  stdout: string
  stderr: string
}

/** Runs a command with `input` on its standard input; several can run at once (each start takes seconds). */
function run(command: string, args: string[], input: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'], timeout: 120_000 })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (text: string) => (stdout += text))
    child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text))
    child.on('error', reject)
    child.on('close', (status) => {
      resolve({ status, stdout, stderr })
    })
    child.stdin.end(input)
  })
}

function editorCommand(args: string[], input: string): Promise<Run> {
  return run('npm', ['run', '--silent', 'editor', '--', ...args], input)
}

// Each case starts npm and tsx, which takes several seconds on a busy machine.
const SLOW = 90_000

describe('npm run editor -- add <name>', () => {
  it('reads the password from standard input and prints a name:hash line that verifies it', async () => {
    const added = await editorCommand(['add', 'alice'], 'correct horse battery staple\nignored second line\n')
    expect(added.status).toBe(0)
    const line = added.stdout.trim()
    expect(line).toMatch(/^alice:\$scrypt\$ln=15,r=8,p=3\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$/)
    expect(added.stdout).not.toContain('correct horse')
    const hash = parseHash(line.slice('alice:'.length)) as ScryptHash
    expect(await verifyPassword('correct horse battery staple', hash)).toBe(true)
    expect(await verifyPassword('correct horse battery stapler', hash)).toBe(false)
  }, SLOW)

  it('at a terminal asks twice and prints the line only when both agree', async () => {
    // util-linux's script(1) gives the command a pseudo-terminal, as a person at a shell would have.
    const atTerminal = (input: string) => run('script', ['-qec', 'npm run --silent editor -- add carol', '/dev/null'], input)
    const [agreed, differ] = await Promise.all([
      atTerminal('a long enough password\na long enough password\n'),
      atTerminal('a long enough password\na different password\n'),
    ])
    expect(agreed.status).toBe(0)
    expect(agreed.stdout).toContain('The same password again: ')
    const line = /^carol:(\S+)$/m.exec(agreed.stdout)?.[1]
    expect(line).toBeDefined()
    expect(await verifyPassword('a long enough password', parseHash(line ?? '') as ScryptHash)).toBe(true)
    expect(differ.status).toBe(1)
    expect(differ.stdout).toContain('the two passwords differ')
    expect(differ.stdout).not.toMatch(/^carol:/m)
  }, SLOW)

  it('salts each hash: the same password twice gives two different lines', async () => {
    const [first, second] = await Promise.all([1, 2].map(() => editorCommand(['add', 'bob'], 'the same password here\n')))
    expect(first?.status).toBe(0)
    expect(first?.stdout).not.toBe(second?.stdout)
  }, SLOW)

  it('refuses a short password, a bad name, a password as an argument, and no password, printing no line', async () => {
    const [short, badName, asArgument, none] = await Promise.all([
      editorCommand(['add', 'alice'], 'short\n'),
      editorCommand(['add', 'a:b'], 'correct horse battery staple\n'),
      editorCommand(['add', 'alice', 'correct horse battery staple'], ''),
      editorCommand(['add', 'alice'], ''),
    ])
    expect(short.status).toBe(1)
    expect(short.stderr).toContain('at least 12 characters')
    expect(badName.status).toBe(2)
    expect(badName.stderr).toContain('cannot be an editor')
    expect(asArgument.status).toBe(2)
    expect(asArgument.stderr).toContain('usage: npm run -s editor -- add <name> [--file <path>]')
    expect(none.status).toBe(1)
    expect(none.stderr).toContain('no password on standard input')
    for (const refused of [short, badName, asArgument, none]) expect(refused.stdout).toBe('')
  }, SLOW)

  it('appends to the editors file as documented: `>> editors`, or --file, and the server reads the result', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'editors-'))
    const file = join(dir, 'editors')
    try {
      const [appended, wrongOption] = await Promise.all([
        editorCommand(['add', 'dave', '--file', file], 'dave password here\n'),
        editorCommand(['add', 'erin', '--out', file], 'erin password here\n'),
      ])
      expect(appended.status).toBe(0)
      expect(appended.stdout).toBe('')
      expect(appended.stderr).toContain(`Added to ${file}`)
      expect(wrongOption.status).toBe(2)
      expect(statSync(file).mode & 0o077).toBe(0)
      // Copied as docs/security.md writes it: npm's -s keeps its banner out of the file.
      const shell = await run('sh', ['-c', `printf '%s\\n' 'carol password here' | npm run -s editor -- add carol >> ${file}`], '')
      expect(shell.status).toBe(0)
      const config = loadConfig({ EDITORS_FILE: file, SESSION_SECRET: 'x'.repeat(32) }).access
      expect(config.editors.map((editor) => editor.name)).toEqual(['dave', 'carol'])
      expect(await verifyPassword('dave password here', config.editors[0]?.hash as ScryptHash)).toBe(true)
      expect(readFileSync(file, 'utf8').split('\n')).toHaveLength(3)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  }, SLOW)
})
