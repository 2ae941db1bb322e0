/**
 * The control API client's side of errors: an error answer `{name, message, data, retryable}` is
 * rethrown as an instance of the class the node threw (so callers check `err.name` and read typed
 * `err.data` as if the call had been local), with the HTTP exchange as its `cause`.
 */
import { z } from 'zod'
import * as core from '@devq/core'
import * as node from './errors.ts'
import { ApiRequestError } from './errors.ts'

/** Longest error message the client keeps from an answer. */
const MAX_MESSAGE = 16 * 1024

const ErrorBody = z.object({
  name: z.string().min(1).max(128),
  message: z.string().max(MAX_MESSAGE),
  data: z.record(z.string(), z.unknown()).default({}),
  retryable: z.boolean().optional()
})

type ErrorClass = new (message: string, data: never, options?: { cause?: unknown, retryable?: boolean }) => core.DevqError<object>

const classesOf = (modules: readonly object[]): Map<string, ErrorClass> => new Map(
  modules.flatMap((module) => Object.values(module))
    .filter((value): value is ErrorClass => typeof value === 'function' && value.prototype instanceof core.DevqError)
    .map((cls) => [cls.name, cls])
)

/**
 * Every error class the packages export, by name. Each class's own name is its literal `name`
 * (house rule), and `errorFromAnswer` checks that the instance it made says the same. The p2p and
 * runner packages (libp2p, git, archives) load only when an answer names a class neither core nor
 * this package has: loading them costs a CLI command most of its start-up time.
 */
const nearClasses = classesOf([core, node])
let farClasses: Promise<Map<string, ErrorClass>> | undefined
async function classNamed (name: string): Promise<ErrorClass | undefined> {
  const near = nearClasses.get(name)
  if (near !== undefined) return near
  farClasses ??= Promise.all([import('@devq/p2p'), import('@devq/runner')]).then(classesOf)
  return (await farClasses).get(name)
}

/**
 * The error to throw for an error answer of `status` to `method path`. An answer that is not an
 * error body, or names a class this client does not know, becomes an ApiRequestError (which keeps
 * the server's name and data under `data.remote`).
 */
export async function errorFromAnswer (status: number, method: string, path: string, payload: unknown): Promise<Error> {
  const where = `${method} ${path}`
  const exchange = new ApiRequestError(`HTTP ${status} from ${where}`, { status, detail: where })
  const parsed = ErrorBody.safeParse(payload)
  if (!parsed.success) return exchange
  const body = parsed.data
  const cls = await classNamed(body.name)
  if (cls !== undefined) {
    const err = new cls(body.message, body.data as never, { cause: exchange, ...(body.retryable === undefined ? {} : { retryable: body.retryable }) })
    if (err.name === body.name) return err
  }
  return new ApiRequestError(body.message, { status, detail: where, remote: { name: body.name, data: body.data } }, { cause: exchange })
}
