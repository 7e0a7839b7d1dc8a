// Who may write, as src/config.ts reads it from the environment with every other variable.
import type { ScryptHash } from './passwords.js'

export type ApiKey = { label: string; key: string }
export type Editor = { name: string; hash: ScryptHash }

export interface AccessConfig {
  /** Keys for POST /items/new/; several at once, so one can be rotated. */
  apiKeys: ApiKey[]
  /** People who may sign in and use the form. */
  editors: Editor[]
  /** Encrypts the session cookie; set whenever editors are. */
  sessionSecret: string | undefined
  /** How long a sign-in lasts. */
  sessionSeconds: number
  /** When set, GET /metrics needs it as a bearer token. */
  metricsToken: string | undefined
  /** Origins whose pages may call the JSON API from a browser. */
  corsOrigins: string[]
}

/** Writes are open to anyone who can reach the service (the default). */
export const OPEN_ACCESS: AccessConfig = { apiKeys: [], editors: [], sessionSecret: undefined, sessionSeconds: 8 * 3600, metricsToken: undefined, corsOrigins: [] }

export function writesClosed(access: AccessConfig): boolean {
  return access.apiKeys.length > 0 || access.editors.length > 0
}

// Names are shown in the page header and logged, so a plain word.
export const EDITOR_NAME = /^[\p{L}\p{N}][\p{L}\p{N}._-]{0,63}$/u
