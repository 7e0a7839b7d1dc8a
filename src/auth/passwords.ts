// Editors' password hashes: scrypt with a random salt, written in the PHC string format
// ($scrypt$ln=15,r=8,p=3$<salt>$<hash>, base64 without padding), the one passlib and others read.
// The cost is OWASP's scrypt setting for 32 MiB of memory per hash (N=2^15, r=8, p=3). Hashing is a
// bounded resource: one hash at a time per process, a few waiting, and no hash over HASH_MEMORY_CAP.
import { createHash, randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto'
import { promisify } from 'node:util'
import { E_TIMEOUT, Mutex, withTimeout } from 'async-mutex'
import { HttpError } from '../http/errors.js'

// An editor's name, the other half of an EDITORS_FILE line: shown in the page header and logged, so a plain word.
export const EDITOR_NAME_MAX = 64
export const EDITOR_NAME = new RegExp(`^[\\p{L}\\p{N}][\\p{L}\\p{N}._-]{0,${EDITOR_NAME_MAX - 1}}$`, 'u')
/** EDITOR_NAME in words, for the messages that refuse a name. */
export const EDITOR_NAME_RULE = `letters, digits, ".", "_" and "-" (up to ${EDITOR_NAME_MAX} characters)`

/** The name as sign-in looks it up and counts attempts at it, and as EDITORS_FILE may list it once: trimmed, NFKC, case-folded. */
export function nameKey(name: string): string {
  return name.normalize('NFKC').trim().toUpperCase().toLowerCase()
}

const SCRYPT_DEFAULTS = { ln: 15, r: 8, p: 3 } as const
/** The most memory one hash may take (scrypt needs 128 × 2^ln × r bytes); docs/security.md. */
const HASH_MEMORY_CAP = 64 * 2 ** 20
const LIMITS = { ln: [14, 20], r: [1, 32], p: [1, 16] } as const
// One hash at a time: each holds up to HASH_MEMORY_CAP outside the heap, and libuv would run four at once.
const WAITING_MAX = 4
// A check still waiting for its turn after this long is answered 503 too, rather than keep its client waiting.
const WAIT_MAX_MS = 5_000

export type ScryptParams = { ln: number; r: number; p: number }
export type ScryptHash = ScryptParams & { salt: Buffer; hash: Buffer }
export type Editor = { name: string; hash: ScryptHash }

const b64 = (buffer: Buffer): string => buffer.toString('base64').replace(/=+$/, '')

const scryptAsync = promisify(scrypt) as (password: string, salt: Buffer, length: number, options: ScryptOptions) => Promise<Buffer>

function derive(password: string, salt: Buffer, { ln, r, p }: ScryptParams, length: number): Promise<Buffer> {
  return scryptAsync(password.normalize('NFC'), salt, length, { N: 2 ** ln, r, p, maxmem: 128 * 2 ** ln * r + 2 ** 20 })
}

/** A new hash of `password` with a fresh salt, as a PHC string. */
export async function hashPassword(password: string, params: ScryptParams = SCRYPT_DEFAULTS): Promise<string> {
  const salt = randomBytes(16)
  const hash = await derive(password, salt, params, 32)
  return `$scrypt$ln=${params.ln},r=${params.r},p=${params.p}$${b64(salt)}$${b64(hash)}`
}

const PHC = /^\$scrypt\$ln=(\d{1,2}),r=(\d{1,2}),p=(\d{1,2})\$([A-Za-z0-9+/]{16,})\$([A-Za-z0-9+/]{22,})$/

/** The parts of a PHC scrypt string, or a sentence saying what is wrong with it. */
export function parseHash(text: string): ScryptHash | string {
  const match = PHC.exec(text)
  if (match === null) return 'is not a scrypt hash in the form $scrypt$ln=15,r=8,p=3$<salt>$<hash> (make one with `npm run -s editor -- add <name>`)'
  const params = { ln: Number(match[1]), r: Number(match[2]), p: Number(match[3]) }
  for (const name of ['ln', 'r', 'p'] as const) {
    const [low, high] = LIMITS[name]
    if (params[name] < low || params[name] > high) return `has ${name}=${params[name]}; it must be from ${low} to ${high}`
  }
  const memory = 128 * 2 ** params.ln * params.r
  if (memory > HASH_MEMORY_CAP) {
    return `has ln=${params.ln},r=${params.r}: each sign-in would take ${memory / 2 ** 20} MiB; at most ${HASH_MEMORY_CAP / 2 ** 20} MiB (128 × 2^ln × r bytes) is allowed, such as ln=15,r=8`
  }
  const hash = Buffer.from(match[5] ?? '', 'base64')
  if (hash.length < 16) return 'has a hash shorter than 16 bytes'
  return { ...params, salt: Buffer.from(match[4] ?? '', 'base64'), hash }
}

/** Whether `password` matches; the final comparison takes the same time wherever the bytes differ. */
export async function verifyPassword(password: string, stored: ScryptHash): Promise<boolean> {
  return timingSafeEqual(await derive(password, stored.salt, stored, stored.hash.length), stored.hash)
}

/** A short digest of a hash: a session keeps it, so a new password (a new salt) ends the sessions of the old. */
export function fingerprint(stored: ScryptHash): string {
  return createHash('sha256').update(stored.salt).update(stored.hash).digest('base64url').slice(0, 22)
}

// The hashing turn, shared by every checker in the process; a check that waits past WAIT_MAX_MS gets E_TIMEOUT.
const turn = withTimeout(new Mutex(), WAIT_MAX_MS)
// Checks hashing or waiting for their turn; one that gives up waiting no longer counts.
let pending = 0

/**
 * A password check for the editors of a file: it hashes once with each parameter set among `hashes`, the
 * editor's own hash for theirs and a decoy for the others, so it costs the same whether the name exists and
 * whatever its hash's cost. One check at a time per process, WAITING_MAX waiting at most WAIT_MAX_MS; beyond that 503.
 */
export function passwordChecker(hashes: ScryptHash[]): (password: string, own: ScryptHash | undefined) => Promise<boolean> {
  const paramsOf = ({ ln, r, p }: ScryptParams): string => `${ln},${r},${p}`
  // Random bytes serve as a decoy: deriving against them costs what the editor's own hash does, and never matches.
  const decoys = new Map(hashes.map((own) => [paramsOf(own), { ...own, salt: randomBytes(own.salt.length), hash: randomBytes(own.hash.length) }]))
  return async (password, own) => {
    const busy = new HttpError(503, 'Too many sign-ins are being checked right now; try again in a second')
    if (pending > WAITING_MAX) throw busy
    pending++
    try {
      return await turn.runExclusive(async () => {
        let matched = false
        for (const [params, decoy] of decoys) {
          const mine = own !== undefined && paramsOf(own) === params
          const right = await verifyPassword(password, mine ? own : decoy)
          matched ||= mine && right
        }
        return matched
      })
    } catch (err) {
      throw err === E_TIMEOUT ? busy : err
    } finally {
      pending--
    }
  }
}
