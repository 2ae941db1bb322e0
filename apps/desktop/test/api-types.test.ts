/**
 * The dashboard's API types (src/renderer/api/types.ts) against the node's own schemas: every answer
 * the node's schema allows must fit the type the dashboard reads it as. The checks are types, so a
 * drift fails `npm run typecheck`; the runtime part makes each schema parse a real-looking value.
 */
import { describe, expect, expectTypeOf, it } from 'vitest'
import type { z } from 'zod'
import type { OutlineAnswer } from '../../../packages/node/src/api-responses.ts'
import type { ShowJobOutput, ShowRunOutput, JobLine as JobLineSchema, RunLine as RunLineSchema, StatusOutput } from '../../../packages/node/src/cli-schemas.ts'
import type { ShareOutput } from '../../../packages/node/src/cli-schemas-tools.ts'
import { ClientMessage as ClientMessageSchema, type ServerMessage as ServerMessageSchema } from '../../../packages/node/src/event-schemas.ts'
import type { ClientMessage, JobDetail, JobLine, LogOutline, RunDetail, RunLine, ServerMessage, ShareView, StatusView } from '../src/renderer/api/types.ts'

describe('the dashboard reads the node\'s answers as the node writes them', () => {
  it('views, stream messages and the outline fit the dashboard\'s types', () => {
    expectTypeOf<z.infer<typeof StatusOutput>>().toExtend<StatusView>()
    expectTypeOf<z.infer<typeof JobLineSchema>>().toExtend<JobLine>()
    expectTypeOf<z.infer<typeof RunLineSchema>>().toExtend<RunLine>()
    expectTypeOf<z.infer<typeof ShowJobOutput>>().toExtend<JobDetail>()
    expectTypeOf<z.infer<typeof ShowRunOutput>>().toExtend<RunDetail>()
    expectTypeOf<z.infer<typeof OutlineAnswer>>().toExtend<LogOutline>()
    expectTypeOf<Omit<z.infer<typeof ShareOutput>, 'kept'>>().toExtend<ShareView>()
    expectTypeOf<z.infer<typeof ServerMessageSchema>>().toExtend<ServerMessage>()
    // What the dashboard sends, the node must accept.
    expectTypeOf<ClientMessage>().toExtend<z.infer<typeof ClientMessageSchema>>()
  })

  it('what the dashboard sends on the stream passes the node\'s check', () => {
    const sent: ClientMessage[] = [{ subscribe: { logs: 'a'.repeat(64), attempt: 2, from: 10 } }, { unsubscribe: { logs: 'b'.repeat(64) } }]
    for (const m of sent) expect(ClientMessageSchema.safeParse(m).success, JSON.stringify(m)).toBe(true)
  })
})
