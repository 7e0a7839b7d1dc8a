// Request validation: Ajv compiles the route schemas, with the domain's own keywords (such as a name rule or
// money) passed in.
import { Ajv, type KeywordDefinition, type Options } from 'ajv'
import type { FastifyInstance } from 'fastify'

function createAjv(options: Options, keywords: readonly KeywordDefinition[]): Ajv {
  const ajv = new Ajv({ strict: true, strictTypes: false, allErrors: true, useDefaults: true, verbose: true, ...options })
  for (const keyword of keywords) ajv.addKeyword(keyword)
  return ajv
}

// One pair per set of keywords, shared by every app in the process, so each schema is compiled once.
const validatorsFor = new WeakMap<readonly KeywordDefinition[], { body: Ajv; text: Ajv }>()

/** Compiles the route schemas with Ajv and `keywords`. Pass the same array every time. Every bad field is reported. */
export function registerValidation(fastify: FastifyInstance, keywords: readonly KeywordDefinition[]): void {
  let validators = validatorsFor.get(keywords)
  if (validators === undefined) {
    // Bodies are never coerced: `true` is not a price and null is not 0. Query strings and path parameters are
    // text, so numbers in them are.
    validators = { body: createAjv({ coerceTypes: false }, keywords), text: createAjv({ coerceTypes: true }, keywords) }
    validatorsFor.set(keywords, validators)
  }
  const { body, text } = validators
  fastify.setValidatorCompiler(({ schema, httpPart }) => (httpPart === 'body' ? body : text).compile(schema))
}
