/**
 * How `devq` writes for people: colours (only on a terminal, never with `--no-color` or
 * `NO_COLOR`), short ids, ages and durations, and aligned columns.
 */

/** Colour functions; all return the text unchanged when colour is off. */
export interface Style {
  readonly enabled: boolean
  bold(text: string): string
  dim(text: string): string
  red(text: string): string
  green(text: string): string
  yellow(text: string): string
  cyan(text: string): string
  /** A job or run status in the colour of its kind (ended well, failed, under way, waiting, set aside). */
  status(status: string): string
}

/**
 * Whether to colour a stream: not with `--no-color` (`flag` false) or a non-empty `NO_COLOR`;
 * then yes with a `FORCE_COLOR` other than `0`; else only on a terminal whose TERM is not `dumb`.
 */
export function colorWanted (stream: { isTTY?: boolean }, flag: boolean | undefined, env: NodeJS.ProcessEnv = process.env): boolean {
  if (flag === false) return false
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '' && env.FORCE_COLOR !== '0') return true
  return stream.isTTY === true && env.TERM !== 'dumb'
}

const sgr = (on: boolean, open: number, close: number) => (text: string): string => on ? `\u001b[${open}m${text}\u001b[${close}m` : text

const GOOD = new Set(['succeeded', 'cached', 'idle'])
const BAD = new Set(['failed', 'lost'])
const BUSY = new Set(['running', 'awarded', 'busy'])
const PENDING = new Set(['queued', 'waiting', 'draining'])

/** A style that colours when `on`. */
export function createStyle (on: boolean): Style {
  const s = {
    enabled: on,
    bold: sgr(on, 1, 22),
    dim: sgr(on, 2, 22),
    red: sgr(on, 31, 39),
    green: sgr(on, 32, 39),
    yellow: sgr(on, 33, 39),
    cyan: sgr(on, 36, 39)
  }
  return {
    ...s,
    status: (st) => GOOD.has(st) ? s.green(st) : BAD.has(st) ? s.red(st) : BUSY.has(st) ? s.yellow(st) : PENDING.has(st) ? s.cyan(st) : s.dim(st)
  }
}

/** The first 12 hex digits of a job, run or commit id. */
export const shortId = (id: string): string => id.slice(0, 12)

/** A peer id by its last 8 characters (every Ed25519 peer id starts alike). */
export const shortPeer = (id: string): string => id.length > 12 ? `…${id.slice(-8)}` : id

/** A branch without `refs/heads/`, a tag without `refs/tags/`. */
export const shortRef = (ref: string): string => ref.replace(/^refs\/(heads|tags)\//, '') || '(detached)'

/** A duration for people: `850ms`, `4.2s`, `3m04s`, `1h02m`. */
export function formatDuration (ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`
  const s = Math.round(ms / 1000)
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`
}

/** How long ago, coarsely: `12s`, `5m`, `3h`, `2d`. */
export function formatAge (ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000))
  if (s < 60) return `${s}s`
  if (s < 3600) return `${Math.floor(s / 60)}m`
  if (s < 86_400) return `${Math.floor(s / 3600)}h`
  return `${Math.floor(s / 86_400)}d`
}

/** Bytes for people: `512 B`, `1.5 KiB`, `12.0 MiB`. */
export function formatBytes (n: number): string {
  if (n < 1024) return `${n} B`
  const units = ['KiB', 'MiB', 'GiB', 'TiB']
  let v = n / 1024
  let u = 0
  while (v >= 1024 && u < units.length - 1) { v /= 1024; u++ }
  return `${v.toFixed(1)} ${units[u]}`
}

// eslint-disable-next-line no-control-regex -- SGR sequences start with ESC
const SGR = /\u001b\[[0-9;]*m/g

/** The width a string takes on a terminal, colour codes left out. */
export const visibleWidth = (text: string): number => text.replace(SGR, '').length

/**
 * Rows as aligned columns separated by two spaces; cells may be coloured (padding counts only what
 * shows). The last column is not padded.
 */
export function columns (rows: ReadonlyArray<readonly string[]>, indent = ''): string[] {
  const widths: number[] = []
  for (const row of rows) row.forEach((cell, i) => { widths[i] = Math.max(widths[i] ?? 0, visibleWidth(cell)) })
  return rows.map((row) => indent + row.map((cell, i) => i === row.length - 1 ? cell : cell + ' '.repeat(widths[i]! - visibleWidth(cell))).join('  ').trimEnd())
}
