/**
 * `devq pull` with a progress display: on a terminal (stderr) a bar with bytes, rate and ETA that
 * redraws in place; with `--progress` elsewhere, a plain line per second. The node does the fetch;
 * its progress comes as NDJSON from `POST /v1/pull/stream` (see api-pull-stream.ts). Without a
 * display (stderr not a terminal, `--json`, `--no-progress`) it asks `POST /v1/pull` and stays quiet.
 */
import { z } from 'zod'
import type { ApiClient } from './client.ts'
import { errorFromAnswer } from './client-errors.ts'
import { ApiRequestError } from './errors.ts'
import { PullOutput } from './cli-schemas.ts'
import { shaped } from './cli-output.ts'
import { formatBytes, formatDuration } from './cli-style.ts'

const Line = z.discriminatedUnion('type', [
  z.object({ type: z.literal('start'), artifacts: z.number().int(), totalBytes: z.number().int() }),
  z.object({ type: z.literal('progress'), bytes: z.number().int(), totalBytes: z.number().int(), artifact: z.string() }),
  z.object({ type: z.literal('done'), files: z.array(z.unknown()) }),
  z.object({ type: z.literal('error'), status: z.number().int(), error: z.unknown() })
])
/** Longest NDJSON line read from the node. */
const MAX_LINE = 1024 * 1024
const BAR_WIDTH = 24
const PLAIN_EVERY_MS = 1000

/** One progress line: bar (on a terminal), percent, bytes, rate and ETA. */
export function progressText (bytes: number, total: number, elapsedMs: number, bar: boolean): string {
  const done = total === 0 ? 1 : Math.min(1, bytes / total)
  const rate = elapsedMs > 0 ? bytes / (elapsedMs / 1000) : 0
  const eta = rate > 0 && bytes < total ? formatDuration(((total - bytes) / rate) * 1000) : bytes >= total ? '0s' : 'unknown'
  const filled = Math.round(done * BAR_WIDTH)
  const drawn = bar ? `[${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}] ` : ''
  return `${drawn}${String(Math.round(done * 100)).padStart(3)}%  ${formatBytes(bytes)} / ${formatBytes(total)}  ${formatBytes(Math.round(rate))}/s  ETA ${eta}`
}

function parseLine (line: string): unknown {
  try {
    return JSON.parse(line)
  } catch (err) {
    throw new ApiRequestError(`the node sent a progress line that is not JSON: ${JSON.stringify(line.slice(0, 80))}`, { status: 502, detail: 'POST /v1/pull/stream' }, { cause: err })
  }
}

/** NDJSON lines of a streamed answer, each at most MAX_LINE characters. */
async function * lines (body: AsyncIterable<Uint8Array> | Iterable<Uint8Array>): AsyncGenerator<unknown> {
  const decoder = new TextDecoder()
  let text = ''
  for await (const chunk of body) {
    text += decoder.decode(chunk, { stream: true })
    let nl: number
    while ((nl = text.indexOf('\n')) !== -1) {
      const line = text.slice(0, nl)
      text = text.slice(nl + 1)
      if (line.trim() !== '') yield parseLine(line)
    }
    if (text.length > MAX_LINE) throw new ApiRequestError(`the node sent a progress line over ${MAX_LINE} characters`, { status: 502, detail: 'POST /v1/pull/stream' })
  }
}

/** Draws progress on stderr: in place on a terminal, else a line at most every second. */
function drawer (tty: boolean): { draw: (bytes: number, total: number, force: boolean) => void, clear: () => void } {
  const started = performance.now()
  let lastPlain = -Infinity
  return {
    draw (bytes, total, force) {
      const now = performance.now()
      if (tty) {
        process.stderr.write(`\r\u001b[2K${progressText(bytes, total, now - started, true)}`)
      } else if (force || now - lastPlain >= PLAIN_EVERY_MS) {
        lastPlain = now
        process.stderr.write(`pull ${progressText(bytes, total, now - started, false)}\n`)
      }
    },
    clear () { if (tty) process.stderr.write('\r\u001b[2K') }
  }
}

/** What `devq pull` asks for: the request body and how to show progress (undefined: on a terminal only). */
export interface PullRequestOptions {
  body: { job: string, out: string } | { digest: string, out: string }
  progress: boolean | undefined
  json: boolean
}

/** Pulls through the node, with progress when wanted; answers the files written. */
export async function pullFiles (api: ApiClient, o: PullRequestOptions): Promise<z.infer<typeof PullOutput>> {
  const tty = process.stderr.isTTY === true
  const show = o.progress ?? (tty && !o.json)
  if (!show) return shaped(PullOutput, await api.post('/v1/pull', o.body), 'POST /v1/pull')
  const res = await api.raw('/v1/pull/stream', o.body)
  const bar = drawer(tty)
  let total = 0
  try {
    for await (const value of lines(res.body ?? [])) {
      const line = shaped(Line, value, 'POST /v1/pull/stream')
      if (line.type === 'start') { total = line.totalBytes; bar.draw(0, total, true) }
      if (line.type === 'progress') bar.draw(line.bytes, line.totalBytes, line.bytes >= line.totalBytes)
      if (line.type === 'error') throw await errorFromAnswer(line.status, 'POST', '/v1/pull/stream', line.error)
      if (line.type === 'done') return shaped(PullOutput, { files: line.files }, 'POST /v1/pull/stream')
    }
  } finally {
    bar.clear()
  }
  throw new ApiRequestError(`the node ended the pull after ${formatBytes(total)} without saying how it went; see its log`, { status: 502, detail: 'POST /v1/pull/stream' })
}
