/** Writing command results: JSON exactly in a command's schema (cli-schemas.ts), or lines of text. */
import type { z } from 'zod'
import { ApiRequestError } from './errors.ts'

/**
 * `value` as the schema keeps it (unknown keys stripped). An answer of another shape (a node of
 * another version) is an ApiRequestError naming the first field at fault, not a crash.
 */
export function shaped<T> (schema: z.ZodType<T>, value: unknown, what: string): T {
  const r = schema.safeParse(value)
  if (r.success) return r.data
  const field = r.error.issues[0]?.path.join('.') ?? ''
  throw new ApiRequestError(`the node answered ${what} in a shape this devq does not know (${field === '' ? 'top level' : field}: ${r.error.issues[0]?.message ?? 'invalid'}); are devq and devq-node the same version?`, { status: 502, detail: what, ...(field === '' ? {} : { field }) })
}

/** Prints one JSON value in the shape of `schema`, on a line of its own. */
export function printJson<T> (schema: z.ZodType<T>, value: T): void {
  process.stdout.write(`${JSON.stringify(schema.parse(value))}\n`)
}

/** Prints `value` as JSON in the shape of `schema` when `json`, else `text` (a line or several). */
export function printResult<T> (json: boolean, schema: z.ZodType<T>, value: T, text: string): void {
  if (json) printJson(schema, value)
  else process.stdout.write(`${text}\n`)
}

/** Prints lines of text. */
export function printLines (lines: readonly string[]): void {
  if (lines.length > 0) process.stdout.write(`${lines.join('\n')}\n`)
}
