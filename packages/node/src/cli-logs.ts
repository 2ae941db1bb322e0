/**
 * `devq logs` output. Without colour (not a terminal, `--no-color`, `NO_COLOR`) the log's bytes are
 * written as stored. With colour, the build's own ANSI codes pass through untouched and DevQ's
 * structure is drawn: each group's header line (`::group::`, `--- `, `+++ `, DevQ's step headers)
 * stands out, `::endgroup::` lines are dropped (a terminal cannot fold), each step's result note is
 * a green or red line with its duration, DevQ's other notes are dim, and a last line sums up the
 * steps. Markers are recognised as runner/src/logs/groups.ts defines them: at the start of a line.
 */
import type { ApiClient } from './client.ts'
import type { Style } from './cli-style.ts'

const NOTE = '[devq] '
const MARKERS = ['::group::', '::endgroup::', '+++ ', '--- ', NOTE]

/** How one step ended, from DevQ's note after it. */
interface StepEnd { name: string, ok: boolean, took?: string }

/** Turns a log's bytes into what a terminal shows. Not for concurrent use. */
export interface LogRenderer {
  push(chunk: Uint8Array): string
  /** The rest, and the summary line of the steps seen. */
  end(): string
}

const STEP_END = /^\[devq\] step (.+?) (succeeded|failed|timed out|was cancelled)\b(.*)$/

function stepEnd (line: string): StepEnd | undefined {
  const m = STEP_END.exec(line)
  if (m === null) return undefined
  const took = /(?:in|after) ([\d.]+ s)/.exec(m[3] ?? '')?.[1]
  return { name: m[1]!, ok: m[2] === 'succeeded', ...(took === undefined ? {} : { took }) }
}

/**
 * The start of the runner's step header lines. The runner package (and libp2p-free as it is, its
 * git and artifact code) loads only when a log is drawn, so every other `devq` command starts fast.
 */
export async function stepHeaderPrefix (): Promise<string> {
  const { stepHeaderLine } = await import('@devq/runner')
  return stepHeaderLine('').trimEnd()
}

/** A renderer drawing with `st` (see the module comment); `stepHeader` is `stepHeaderPrefix()`. */
export function createLogRenderer (st: Style, stepHeader: string): LogRenderer {
  const decoder = new TextDecoder('utf-8')
  const steps: StepEnd[] = []
  let line = ''
  let raw = false

  const render = (text: string): string | undefined => {
    if (text.startsWith(stepHeader) && text.length > stepHeader.length) return st.bold(st.cyan(`▶ ${text.slice(stepHeader.length).trim()}`))
    if (text.trimEnd() === '::endgroup::') return undefined
    if (text.startsWith('::group::')) return st.bold(`▸ ${text.slice(9).trim()}`)
    if ((text.startsWith('--- ') || text.startsWith('+++ ')) && text.slice(4).trim() !== '') return st.bold(`${text.startsWith('+') ? '▶' : '▸'} ${text.slice(4).trim()}`)
    const end = stepEnd(text)
    if (end !== undefined) {
      steps.push(end)
      return end.ok ? st.green(`✓ ${text.slice(NOTE.length)}`) : st.red(`✗ ${text.slice(NOTE.length)}`)
    }
    if (text.startsWith(NOTE)) return /^\[devq\] failed\b/.test(text) ? st.red(text) : st.dim(text)
    return text
  }
  const couldBeMarker = (start: string): boolean => MARKERS.some((m) => m.startsWith(start) || start.startsWith(m))

  const take = (text: string): string => {
    let out = ''
    let at = 0
    while (at < text.length) {
      const nl = text.indexOf('\n', at)
      const piece = text.slice(at, nl === -1 ? text.length : nl)
      if (raw) out += piece
      else line += piece
      if (nl === -1) break
      if (!raw) {
        const shown = render(line)
        if (shown !== undefined) out += `${shown}\n`
      } else out += '\n'
      line = ''
      raw = false
      at = nl + 1
    }
    // A line that cannot be a marker shows at once, so live output is not held back to its end.
    if (!raw && line !== '' && !couldBeMarker(line)) {
      out += line
      line = ''
      raw = true
    }
    return out
  }

  return {
    push: (chunk) => take(decoder.decode(chunk, { stream: true })),
    end () {
      let out = take(decoder.decode())
      if (line !== '') out += `${render(line) ?? ''}\n`
      else if (raw) out += '\n'
      line = ''
      if (steps.length > 0) out += `${st.bold('steps:')} ${steps.map((s) => `${s.name} ${s.ok ? st.green('✓') : st.red('✗')}${s.took === undefined ? '' : ` ${s.took}`}`).join(', ')}\n`
      return out
    }
  }
}

/** What `devq logs` asks for. */
export interface LogRequest {
  job: string
  follow: boolean
  attempt?: string
  /** Colours on (a renderer) or off (the bytes as stored). */
  style: Style
}

/** Streams a job's log to stdout, live with `follow`, drawn when colour is on. */
export async function printLog (api: ApiClient, req: LogRequest): Promise<void> {
  const q = new URLSearchParams({ ...(req.follow ? { follow: '1' } : {}), ...(req.attempt === undefined ? {} : { attempt: req.attempt }) })
  const res = await api.raw(`/v1/jobs/${req.job}/log?${q.toString()}`)
  const renderer = req.style.enabled ? createLogRenderer(req.style, await stepHeaderPrefix()) : undefined
  for await (const chunk of res.body ?? []) {
    const bytes = chunk as Uint8Array
    process.stdout.write(renderer === undefined ? bytes : renderer.push(bytes))
  }
  if (renderer !== undefined) process.stdout.write(renderer.end())
}
