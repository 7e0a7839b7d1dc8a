// Editors' password hashes: scrypt with a random salt, written in the PHC string format
// ($scrypt$ln=15,r=8,p=3$<salt>$<hash>, base64 without padding), the one passlib and others read.
// The cost is OWASP's scrypt setting for 32 MiB of memory per hash (N=2^15, r=8, p=3).
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto'

export const SCRYPT_DEFAULTS = { ln: 15, r: 8, p: 3 } as const
const SALT_BYTES = 16
const HASH_BYTES = 32
// Bounds on what an editors file may ask for, so one line cannot make each sign-in take minutes or gigabytes.
const LIMITS = { ln: [14, 20], r: [1, 32], p: [1, 16] } as const

export interface ScryptHash {
  ln: number
  r: number
  p: number
  salt: Buffer
  hash: Buffer
}

function b64(buffer: Buffer): string {
  return buffer.toString('base64').replace(/=+$/, '')
}

function derive(password: string, salt: Buffer, { ln, r, p }: { ln: number; r: number; p: number }, length: number): Promise<Buffer> {
  const N = 2 ** ln
  const options: ScryptOptions = { N, r, p, maxmem: 256 * N * r + 1024 * 1024 }
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFC'), salt, length, options, (err, key) => {
      if (err === null) resolve(key)
      else reject(err)
    })
  })
}

/** A new hash of `password` with a fresh salt, as a PHC string. */
export async function hashPassword(password: string, params: { ln: number; r: number; p: number } = SCRYPT_DEFAULTS): Promise<string> {
  const salt = randomBytes(SALT_BYTES)
  const hash = await derive(password, salt, params, HASH_BYTES)
  return `$scrypt$ln=${params.ln},r=${params.r},p=${params.p}$${b64(salt)}$${b64(hash)}`
}

const PHC = /^\$scrypt\$ln=(\d{1,2}),r=(\d{1,2}),p=(\d{1,2})\$([A-Za-z0-9+/]{16,})\$([A-Za-z0-9+/]{22,})$/

/** The parts of a PHC scrypt string, or a sentence saying what is wrong with it. */
export function parseHash(text: string): ScryptHash | string {
  const match = PHC.exec(text)
  if (match === null) return 'is not a scrypt hash in the form $scrypt$ln=15,r=8,p=3$<salt>$<hash> (make one with `npm run editor -- add <name>`)'
  const [ln, r, p] = [Number(match[1]), Number(match[2]), Number(match[3])]
  for (const [name, value] of [['ln', ln], ['r', r], ['p', p]] as const) {
    const [low, high] = LIMITS[name]
    if (value < low || value > high) return `has ${name}=${value}; it must be from ${low} to ${high}`
  }
  const salt = Buffer.from(match[4] ?? '', 'base64')
  const hash = Buffer.from(match[5] ?? '', 'base64')
  if (hash.length < 16) return 'has a hash shorter than 16 bytes'
  return { ln, r, p, salt, hash }
}

/** Whether `password` matches; the final comparison takes the same time wherever the bytes differ. */
export async function verifyPassword(password: string, stored: ScryptHash): Promise<boolean> {
  const candidate = await derive(password, stored.salt, stored, stored.hash.length)
  return timingSafeEqual(candidate, stored.hash)
}
