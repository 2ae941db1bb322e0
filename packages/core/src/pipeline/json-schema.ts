/** The JSON Schema of `.devq.yml` for editors, generated from the same zod schema the parser uses. */
import { z } from 'zod'
import { PipelineInput } from './input.ts'

/**
 * JSON Schema (draft 2020-12) of `.devq.yml` as written, shorthands included. Cross-field rules
 * (needs, matrix size, placeholders) are not expressible there and are checked by the parser only.
 */
export function pipelineJsonSchema (): Record<string, unknown> {
  return z.toJSONSchema(PipelineInput, { target: 'draft-2020-12', io: 'input', unrepresentable: 'throw' }) as Record<string, unknown>
}

/** `pipelineJsonSchema()` as the text committed in `schema/devq.schema.json`. */
export function renderPipelineJsonSchema (): string {
  return `${JSON.stringify(pipelineJsonSchema(), null, 2)}\n`
}
