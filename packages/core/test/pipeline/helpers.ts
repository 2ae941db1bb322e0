/** Test helpers: a validator built from the committed JSON schema, independent of the parser's zod schema. */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { z } from 'zod'

/** The path of the committed editor schema. */
export const schemaPath = join(import.meta.dirname, '..', '..', '..', '..', 'schema', 'devq.schema.json')

/** A predicate that checks a decoded `.devq.yml` value against the committed JSON schema. */
export function schemaValidator (): (value: unknown) => boolean {
  const schema = z.fromJSONSchema(JSON.parse(readFileSync(schemaPath, 'utf8')) as z.core.JSONSchema.JSONSchema)
  return (value) => schema.safeParse(value).success
}
