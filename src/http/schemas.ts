// The schemas of every error answer, whichever route gives it: they drive serialization and /docs.
import { Type, type TSchema } from 'typebox'

// No example: one schema serves 404, 409, 413, 415 and 503, and a single example would mislead.
export const ErrorMessage = Type.Object({
  detail: Type.String({ description: 'What went wrong and what to change' }),
})

export const ValidationFailure = Type.Object(
  {
    detail: Type.Array(
      Type.Object({
        loc: Type.Array(Type.String()),
        msg: Type.String(),
        type: Type.String(),
      }),
    ),
  },
  { examples: [{ detail: [{ loc: ['body', 'price'], msg: 'price must be a decimal number such as 12.34 (digits, an optional point and sign)', type: 'decimal_parsing' }] }] },
)

/** A response schema with the description /docs shows for that status (else "Default Response"). */
export function described<T extends TSchema>(schema: T, description: string): T {
  return { ...schema, description }
}
