/**
 * A small ANSI parser for one log line: SGR colours and attributes become spans with class names
 * (the 16 palette colours, so light and dark themes can tune them) or a colour style (256-colour
 * and 24-bit), never HTML. Every other escape (cursor moves, erases, OSC titles and links, DCS,
 * charset selection) and control character is dropped; a carriage return inside a line starts it
 * over, as a progress bar on a terminal overwrites itself. Pure and allocation-light: a line with
 * no escape or control character is one span of itself.
 *
 * Handled SGR codes: 0 reset, 1 bold, 2 dim, 3 italic, 4 underline, 21/22 bold and dim off, 23,
 * 24, 30–37, 90–97, 39, 40–47, 100–107, 49, 38;5;n / 48;5;n, 38;2;r;g;b / 48;2;r;g;b (also with
 * colons). Others (inverse, blink, strike-through, fonts) are ignored.
 */

/** A colour style for colours outside the 16-colour palette; fits React's `style` prop. */
export interface AnsiStyle {
  color?: string
  backgroundColor?: string
}

/** A run of text with one look; `className` lists `ansi-*` classes (see log.css). */
export interface AnsiSpan {
  text: string
  className?: string
  style?: AnsiStyle
}

/** A colour: palette index 0–255, or a CSS `rgb(...)` string. */
type Colour = number | string | undefined

interface Pen {
  fg: Colour
  bg: Colour
  bold: boolean
  dim: boolean
  italic: boolean
  underline: boolean
}

const ESC = 0x1b
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f]/
const CUBE = [0, 95, 135, 175, 215, 255]

const blankPen = (): Pen => ({ fg: undefined, bg: undefined, bold: false, dim: false, italic: false, underline: false })

/** The CSS colour of a 256-colour index from 16 up. */
function colour256 (n: number): string {
  if (n >= 232) {
    const v = 8 + (n - 232) * 10
    return `rgb(${v}, ${v}, ${v})`
  }
  const i = n - 16
  return `rgb(${CUBE[Math.floor(i / 36)]}, ${CUBE[Math.floor(i / 6) % 6]}, ${CUBE[i % 6]})`
}

const byte = (s: string | undefined): number => Math.min(255, Math.max(0, Number.parseInt(s ?? '0', 10) || 0))

/** An extended colour from `5;n` or `2;r;g;b` (already split), with how many items it used. */
function extended (items: readonly string[], at: number): [Colour, number] {
  const mode = items[at]
  if (mode === '5') {
    const n = byte(items[at + 1])
    return [n, 2]
  }
  if (mode === '2') return [`rgb(${byte(items[at + 1])}, ${byte(items[at + 2])}, ${byte(items[at + 3])})`, 4]
  return [undefined, 0]
}

/** The colon form `38:2::r:g:b`, `38:2:r:g:b` or `38:5:n` of one item. */
function colonColour (sub: readonly string[]): Colour {
  if (sub[1] === '5') return byte(sub[2])
  if (sub[1] === '2') {
    const rgb = sub.length >= 6 ? sub.slice(3, 6) : sub.slice(2, 5)
    return `rgb(${byte(rgb[0])}, ${byte(rgb[1])}, ${byte(rgb[2])})`
  }
  return undefined
}

/** Applies one SGR code; returns how many following items it used. */
function applyCode (pen: Pen, code: number, items: readonly string[], at: number): number {
  if (code === 0) Object.assign(pen, blankPen())
  else if (code === 1) pen.bold = true
  else if (code === 2) pen.dim = true
  else if (code === 3) pen.italic = true
  else if (code === 4) pen.underline = true
  else if (code === 21 || code === 22) pen.bold = pen.dim = false
  else if (code === 23) pen.italic = false
  else if (code === 24) pen.underline = false
  else if (code >= 30 && code <= 37) pen.fg = code - 30
  else if (code >= 90 && code <= 97) pen.fg = code - 90 + 8
  else if (code === 39) pen.fg = undefined
  else if (code >= 40 && code <= 47) pen.bg = code - 40
  else if (code >= 100 && code <= 107) pen.bg = code - 100 + 8
  else if (code === 49) pen.bg = undefined
  else if (code === 38 || code === 48) {
    const [c, used] = extended(items, at + 1)
    if (code === 38) pen.fg = c
    else pen.bg = c
    return used
  }
  return 0
}

/** Applies an SGR parameter string such as `1;38;5;208`. */
function applySgr (pen: Pen, params: string): void {
  if (params === '') {
    Object.assign(pen, blankPen())
    return
  }
  const items = params.split(';')
  for (let k = 0; k < items.length; k++) {
    const item = items[k]!
    if (item.includes(':')) {
      const sub = item.split(':')
      if (sub[0] === '38') pen.fg = colonColour(sub)
      else if (sub[0] === '48') pen.bg = colonColour(sub)
      else if (sub[0] === '4') pen.underline = sub[1] !== '0'
      continue
    }
    k += applyCode(pen, item === '' ? 0 : Number.parseInt(item, 10), items, k)
  }
}

/**
 * Where the escape sequence starting at `i` (an ESC) ends: the index after it. An unterminated
 * sequence runs to the end of the line.
 */
function escapeEnd (line: string, i: number): number {
  const kind = line.charCodeAt(i + 1)
  if (kind === 0x5b) { // CSI: parameter and intermediate bytes, then one final byte
    let j = i + 2
    while (j < line.length) {
      const c = line.charCodeAt(j)
      if (c >= 0x40 && c <= 0x7e) return j + 1
      if (c < 0x20 || c > 0x3f) return j
      j++
    }
    return j
  }
  if (kind === 0x5d || kind === 0x50 || kind === 0x58 || kind === 0x5e || kind === 0x5f) { // OSC, DCS, SOS, PM, APC
    for (let j = i + 2; j < line.length; j++) {
      const c = line.charCodeAt(j)
      if (c === 0x07) return j + 1
      if (c === ESC && line.charCodeAt(j + 1) === 0x5c) return j + 2
    }
    return line.length
  }
  let j = i + 1
  while (j < line.length && line.charCodeAt(j) >= 0x20 && line.charCodeAt(j) <= 0x2f) j++
  return Math.min(line.length, j + 1)
}

/** The SGR parameters of the sequence `[i, end)`, or undefined when it is not an SGR. */
function sgrParams (line: string, i: number, end: number): string | undefined {
  if (line.charCodeAt(i + 1) !== 0x5b || line.charCodeAt(end - 1) !== 0x6d) return undefined
  const params = line.slice(i + 2, end - 1)
  return /^[\d;:]*$/.test(params) ? params : undefined
}

function look (pen: Pen): { className?: string, style?: AnsiStyle } {
  const cls: string[] = []
  const style: AnsiStyle = {}
  if (typeof pen.fg === 'number' && pen.fg < 16) cls.push(`ansi-fg${pen.fg}`)
  else if (pen.fg !== undefined) style.color = typeof pen.fg === 'number' ? colour256(pen.fg) : pen.fg
  if (typeof pen.bg === 'number' && pen.bg < 16) cls.push(`ansi-bg${pen.bg}`)
  else if (pen.bg !== undefined) style.backgroundColor = typeof pen.bg === 'number' ? colour256(pen.bg) : pen.bg
  if (pen.bold) cls.push('ansi-bold')
  if (pen.dim) cls.push('ansi-dim')
  if (pen.italic) cls.push('ansi-italic')
  if (pen.underline) cls.push('ansi-underline')
  return {
    ...(cls.length > 0 ? { className: cls.join(' ') } : {}),
    ...(style.color !== undefined || style.backgroundColor !== undefined ? { style } : {})
  }
}

interface Walker {
  /** Visible text, in order; never empty. */
  text: (s: string) => void
  sgr: (params: string) => void
  /** A carriage return with more of the line after it. */
  back: () => void
}

/** Walks a line that holds control characters, handing each piece to `w`. */
function walk (line: string, w: Walker): void {
  let from = 0
  for (let i = 0; i < line.length;) {
    const c = line.charCodeAt(i)
    const control = c < 0x20 ? c !== 0x09 : c >= 0x7f && c <= 0x9f
    if (!control) {
      i++
      continue
    }
    if (i > from) w.text(line.slice(from, i))
    const end = c === ESC ? escapeEnd(line, i) : i + 1
    const params = c === ESC ? sgrParams(line, i, end) : undefined
    if (params !== undefined) w.sgr(params)
    else if (c === 0x0d && end < line.length) w.back()
    i = from = end
  }
  if (from < line.length) w.text(line.slice(from))
}

const sameLook = (a: AnsiSpan, b: { className?: string, style?: AnsiStyle }): boolean =>
  a.className === b.className && a.style?.color === b.style?.color && a.style?.backgroundColor === b.style?.backgroundColor

/** The spans of one line. Their texts joined equal `stripAnsi(line)`. */
export function parseAnsi (line: string): AnsiSpan[] {
  if (!CONTROL.test(line)) return line === '' ? [] : [{ text: line }]
  let spans: AnsiSpan[] = []
  const pen = blankPen()
  let current = look(pen)
  // After a carriage return the next visible text starts the line over; escapes alone do not.
  let over = false
  walk(line, {
    text (s) {
      if (over) spans = []
      over = false
      const last = spans[spans.length - 1]
      if (last !== undefined && sameLook(last, current)) last.text += s
      else spans.push({ text: s, ...current })
    },
    sgr (params) {
      applySgr(pen, params)
      current = look(pen)
    },
    back () { over = true }
  })
  return spans
}

/** The line as it reads, without escapes and control characters (see parseAnsi). */
export function stripAnsi (line: string): string {
  if (!CONTROL.test(line)) return line
  let out = ''
  let over = false
  walk(line, {
    text (s) {
      out = over ? s : out + s
      over = false
    },
    sgr () {},
    back () { over = true }
  })
  return out
}
