/** Errors the dashboard's client raises: the node's own error shape, kept as it traveled. */
import type { ApiErrorBody } from './types.ts'

/** An error answer of the control API (`{name, message, data}` as the node sent it), or a failed request. */
export class ApiError extends Error {
  override readonly name = 'ApiError'
  readonly code = 'api_error'
  /** The node's error class name (`ApiRequestError`, ...), or `NetworkError` when no answer came. */
  readonly remoteName: string
  readonly data: { status: number } & Record<string, unknown>

  constructor (message: string, remoteName: string, data: { status: number } & Record<string, unknown>) {
    super(message)
    this.remoteName = remoteName
    this.data = data
  }

  toJSON (): ApiErrorBody {
    return { name: this.remoteName, code: this.code, message: this.message, data: this.data }
  }
}

/** Whether `err` is the node saying this browser is not signed in. */
export function isUnauthorized (err: unknown): boolean {
  return err instanceof ApiError && err.data.status === 401
}
