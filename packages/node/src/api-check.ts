/**
 * The API checked against its route table (api-routes.ts), for tests and development
 * (DEVQ_API_CHECK=1): at start, that fastify registered exactly the table's routes; on every JSON
 * answer, that it matches the schema the table gives for its status (error answers the error
 * shape). A mismatch answers 500 ApiResponseError naming the route and the field. Off by default,
 * so the hot routes pay nothing in production.
 */
import type { FastifyInstance } from 'fastify'
import { z } from 'zod'
import { ApiResponseError } from './errors.ts'
import { ApiErrorBody } from './api-responses.ts'
import { routeKey, routesByKey, routeTableMismatches } from './api-routes.ts'

/** Adds the checks to `app`; call before any route is registered, and `verifyRoutes` once all are. */
export function checkApi (app: FastifyInstance): { verifyRoutes(testHooks: boolean): void } {
  const registered: { method: string, path: string }[] = []
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) registered.push({ method, path: route.url })
  })
  app.addHook('preSerialization', async (req, reply, payload: unknown) => {
    const status = reply.statusCode
    const key = routeKey(req.method, req.routeOptions.url ?? req.url)
    const answer = status >= 400 ? ApiErrorBody : routesByKey.get(key)?.responses[status]
    if (answer === undefined || typeof answer === 'string') {
      throw new ApiResponseError(`${key} answered ${status}, which its route table entry does not list`, { route: key, status, issue: 'unlisted status' })
    }
    const checked = answer.safeParse(payload)
    if (!checked.success) {
      throw new ApiResponseError(`${key} answered ${status} with a body its schema refuses: ${z.prettifyError(checked.error)}`, { route: key, status, issue: checked.error.issues[0]?.path.join('.') ?? '' })
    }
    return payload
  })
  return {
    verifyRoutes (testHooks) {
      const problems = routeTableMismatches(registered, testHooks)
      if (problems.length > 0) throw new ApiResponseError(problems.join('; '), { route: problems[0]!, status: 0, issue: 'route table' })
    }
  }
}
