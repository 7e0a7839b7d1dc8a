import type { FastifyRequest } from 'fastify'
import { FieldErrors } from './errors.js'

const DIGITS = /^[0-9]+$/

/**
 * preValidation hook factory: integer query parameters must be written in plain digits. Ajv's coercion
 * would read `0x10`, `1e1` and ` 5` as numbers; a person who typed them meant something else.
 */
export function digitsOnly(...fields: string[]) {
  return async function checkDigits(request: FastifyRequest): Promise<void> {
    const query = request.query as Record<string, unknown>
    const bad = fields.filter((field) => typeof query[field] === 'string' && !DIGITS.test(query[field]))
    if (bad.length > 0) {
      throw new FieldErrors(
        bad.map((field) => ({ loc: ['query', field], msg: `${field} must be a whole number written in digits, such as 20`, type: 'int_parsing' })),
      )
    }
  }
}
