import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { parseAnsi, stripAnsi } from '../src/renderer/log/ansi.ts'

const E = '\u001b'

describe('ansi', () => {
  it('gives a line without escapes as one span', () => {
    const line = 'plain\ttext ✓'
    expect(parseAnsi(line)).toEqual([{ text: line }])
    expect(parseAnsi('')).toEqual([])
  })

  it('turns the 16 colours, foreground and background, into classes', () => {
    expect(parseAnsi(`${E}[31mred${E}[0m ${E}[92;44mbright on blue${E}[39;49m back`)).toEqual([
      { text: 'red', className: 'ansi-fg1' },
      { text: ' ' },
      { text: 'bright on blue', className: 'ansi-fg10 ansi-bg4' },
      { text: ' back' }
    ])
    expect(parseAnsi(`${E}[103mx`)).toEqual([{ text: 'x', className: 'ansi-bg11' }])
  })

  it('turns 256-colour and 24-bit colours into styles, and low 256-colour indexes into the palette', () => {
    expect(parseAnsi(`${E}[38;5;208ma${E}[38;5;9mb${E}[48;5;232mc${E}[0m`)).toEqual([
      { text: 'a', style: { color: 'rgb(255, 135, 0)' } },
      { text: 'b', className: 'ansi-fg9' },
      { text: 'c', className: 'ansi-fg9', style: { backgroundColor: 'rgb(8, 8, 8)' } }
    ])
    expect(parseAnsi(`${E}[38;2;10;20;300mt${E}[48;2;1;2;3mu`)).toEqual([
      { text: 't', style: { color: 'rgb(10, 20, 255)' } },
      { text: 'u', style: { color: 'rgb(10, 20, 255)', backgroundColor: 'rgb(1, 2, 3)' } }
    ])
    expect(parseAnsi(`${E}[38:2::1:2:3mv${E}[38:5:196mw`)).toEqual([
      { text: 'v', style: { color: 'rgb(1, 2, 3)' } },
      { text: 'w', style: { color: 'rgb(255, 0, 0)' } }
    ])
  })

  it('tracks bold, dim, italic and underline, and their resets', () => {
    expect(parseAnsi(`${E}[1;3mbi${E}[22mi${E}[2;4mdu${E}[23;24md${E}[mn`)).toEqual([
      { text: 'bi', className: 'ansi-bold ansi-italic' },
      { text: 'i', className: 'ansi-italic' },
      { text: 'du', className: 'ansi-dim ansi-italic ansi-underline' },
      { text: 'd', className: 'ansi-dim' },
      { text: 'n' }
    ])
  })

  it('drops cursor moves, erases, OSC titles and links, charset selection and stray controls', () => {
    const line = `${E}[2K${E}[1Gstart ${E}]0;title${'\u0007'}${E}]8;;https://x.test${E}\\link${E}]8;;${E}\\ ${E}(Bend${'\u0008'}${E}[?25l!`
    expect(stripAnsi(line)).toBe('start link end!')
    expect(parseAnsi(line).map((s) => s.text).join('')).toBe('start link end!')
    expect(stripAnsi(`cut ${E}[31`)).toBe('cut ')
    expect(stripAnsi(`osc ${E}]unterminated`)).toBe('osc ')
  })

  it('lets a carriage return start the line over, as a progress bar does, keeping the colour', () => {
    expect(stripAnsi('10%\r50%\r100% done')).toBe('100% done')
    expect(parseAnsi(`${E}[32m10%\r100%`)).toEqual([{ text: '100%', className: 'ansi-fg2' }])
    expect(stripAnsi(`kept\r${E}[0m`)).toBe('kept')
  })

  it('makes no HTML and no style from anything but numbers', () => {
    const spans = parseAnsi(`${E}[38;2;1;2;3);background:url(x)mhello <b>&amp;</b>`)
    for (const s of spans) {
      if (s.style?.color !== undefined) expect(s.style.color).toMatch(/^rgb\(\d+, \d+, \d+\)$/)
    }
    expect(spans.map((s) => s.text).join('')).toContain('<b>&amp;</b>')
  })

  it('joins its spans to the stripped text, with no empty span, for any input', () => {
    const piece = fc.oneof(
      fc.string({ maxLength: 8 }),
      fc.constantFrom(`${E}[`, `${E}]`, 'm', ';', '\r', '\t', '\u0007', `${E}\\`, `${E}[0m`, `${E}[1;31m`, `${E}[38;5;`, `${E}[48;2;1;2;3m`, `${E}[K`, '\u009b', '🎉')
    )
    fc.assert(fc.property(fc.array(piece, { maxLength: 30 }), (parts) => {
      const line = parts.join('')
      const spans = parseAnsi(line)
      expect(spans.map((s) => s.text).join('')).toBe(stripAnsi(line))
      for (const s of spans) expect(s.text).not.toBe('')
    // eslint-disable-next-line no-control-regex -- the test looks for control characters on purpose
      expect(stripAnsi(line)).not.toMatch(/[\u0000-\u0008\u000a-\u001f\u007f-\u009f]/)
    }), { numRuns: 2000 })
  })

  it('parses a screenful of coloured lines quickly', () => {
    const line = `${E}[32m✓${E}[0m compiled ${E}[1msrc/module-1.ts${E}[22m in ${E}[38;2;120;80;200m12 ms${E}[39m`
    const t0 = performance.now()
    for (let i = 0; i < 20_000; i++) parseAnsi(line + String(i))
    // 20,000 lines is a few hundred screens; well under a frame per screen.
    expect(performance.now() - t0).toBeLessThan(1_000)
  })
})
