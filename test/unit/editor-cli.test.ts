// `npm run editor -- add <name>` as a script would run it: the password as one line on standard input.
import { spawnSync } from 'node:child_process'
import { describe, expect, it } from 'vitest'
import { parseHash, verifyPassword, type ScryptHash } from '../../src/auth/passwords.js'

function editorCommand(args: string[], input: string) {
  const run = spawnSync('npm', ['run', '--silent', 'editor', '--', ...args], { input, encoding: 'utf8', timeout: 60_000 })
  return { status: run.status, stdout: run.stdout, stderr: run.stderr }
}

describe('npm run editor -- add <name>', () => {
  it('reads the password from standard input and prints a name:hash line that verifies it', async () => {
    const run = editorCommand(['add', 'alice'], 'correct horse battery staple\nignored second line\n')
    expect(run.status).toBe(0)
    const line = run.stdout.trim()
    expect(line).toMatch(/^alice:\$scrypt\$ln=15,r=8,p=3\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$/)
    expect(run.stdout).not.toContain('correct horse')
    const hash = parseHash(line.slice('alice:'.length)) as ScryptHash
    expect(await verifyPassword('correct horse battery staple', hash)).toBe(true)
    expect(await verifyPassword('correct horse battery stapler', hash)).toBe(false)
  })

  it('salts each hash: the same password twice gives two different lines', () => {
    const first = editorCommand(['add', 'bob'], 'the same password here\n').stdout
    const second = editorCommand(['add', 'bob'], 'the same password here\n').stdout
    expect(first).not.toBe(second)
  })

  it('refuses a short password, a bad name, a password as an argument, and no password, printing no line', () => {
    const short = editorCommand(['add', 'alice'], 'short\n')
    expect(short.status).toBe(1)
    expect(short.stderr).toContain('at least 12 characters')
    const badName = editorCommand(['add', 'a:b'], 'correct horse battery staple\n')
    expect(badName.status).toBe(2)
    expect(badName.stderr).toContain('cannot be an editor')
    const asArgument = editorCommand(['add', 'alice', 'correct horse battery staple'], '')
    expect(asArgument.status).toBe(2)
    expect(asArgument.stderr).toContain('usage: npm run editor -- add <name>')
    const none = editorCommand(['add', 'alice'], '')
    expect(none.status).toBe(1)
    expect(none.stderr).toContain('no password on standard input')
    for (const run of [short, badName, asArgument, none]) expect(run.stdout).toBe('')
  })
})
