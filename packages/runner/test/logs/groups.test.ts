import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { createGroupParser, MAX_GROUPS, parseGroups, stepHeaderLine, stepOfGroup } from '../../src/logs/groups.ts'

const lines = (...ls: string[]): string => ls.join('\n') + '\n'

describe('log groups', () => {
  it('finds GitHub groups, which nest, and ignores a stray end', () => {
    const outline = parseGroups(lines('start', '::group::Build', 'cc a.c', '::group::Link', 'ld', '::endgroup::', 'done', '::endgroup::', '::endgroup::', 'tail'))
    expect(outline).toEqual({
      lines: 10,
      groups: [
        { name: 'Build', line: 2, end: 8, collapsed: true },
        { name: 'Link', line: 4, end: 6, collapsed: true }
      ]
    })
  })

  it('finds Buildkite headers, collapsed and expanded; each header ends the one before', () => {
    const outline = parseGroups(lines('--- :package: deps', 'npm ci', '+++ tests', 'ok 1', 'ok 2', '--- lint', 'clean'))
    expect(outline.groups).toEqual([
      { name: ':package: deps', line: 1, end: 2, collapsed: true },
      { name: 'tests', line: 3, end: 5, collapsed: false },
      { name: 'lint', line: 6, end: 7, collapsed: true }
    ])
  })

  it('ends open GitHub groups at the next header, and groups still open at the last line', () => {
    const outline = parseGroups('+++ step one\n::group::inner\nx\n::group::deeper\n+++ step two\n::group::left open\ny')
    expect(outline).toEqual({
      lines: 7,
      groups: [
        { name: 'step one', line: 1, end: 4, collapsed: false },
        { name: 'inner', line: 2, end: 4, collapsed: true },
        { name: 'deeper', line: 4, end: 4, collapsed: true },
        { name: 'step two', line: 5, end: 7, collapsed: false },
        { name: 'left open', line: 6, end: 7, collapsed: true }
      ]
    })
  })

  it('does not take a bare --- (YAML), a nameless header or a marker not at the line start for a group', () => {
    expect(parseGroups(lines('---', 'key: 1', '--- ', '+++', ' --- indented', 'x ::group::no')).groups).toEqual([])
  })

  it('trims names (CRLF output included) and counts a last line without a newline', () => {
    expect(parseGroups('::group::  Windows build \r\nx\r\n::endgroup::\r\nlast')).toEqual({
      lines: 4,
      groups: [{ name: 'Windows build', line: 1, end: 3, collapsed: true }]
    })
    expect(parseGroups('')).toEqual({ lines: 0, groups: [] })
    expect(parseGroups('\n')).toEqual({ lines: 1, groups: [] })
  })

  it('makes DevQ step headers expanded groups whose step can be read back', () => {
    const outline = parseGroups(stepHeaderLine('unit tests') + 'ok\n' + stepHeaderLine('lint\nall'))
    expect(outline.groups.map((g) => [g.name, g.collapsed, stepOfGroup(g)])).toEqual([
      ['[devq] step: unit tests', false, 'unit tests'],
      ['[devq] step: lint all', false, 'lint all']
    ])
    expect(stepOfGroup({ name: 'tests', line: 1, end: 1, collapsed: false })).toBeUndefined()
  })

  it('records at most MAX_GROUPS groups and still pairs the ends after the cap', () => {
    const text = '::group::outer\n' + '::group::g\n'.repeat(MAX_GROUPS) + '::endgroup::\n'.repeat(MAX_GROUPS) + 'x\n::endgroup::\ny\n'
    const outline = parseGroups(text)
    expect(outline.groups).toHaveLength(MAX_GROUPS)
    expect(outline.groups[0]).toEqual({ name: 'outer', line: 1, end: 2 * MAX_GROUPS + 3, collapsed: true })
  })

  it('streams a huge line and keeps the marker after it', () => {
    const parser = createGroupParser()
    const chunk = 'x'.repeat(1024 * 1024)
    for (let i = 0; i < 32; i++) parser.push(chunk)
    parser.push('\n--- after\nz')
    expect(parser.snapshot()).toEqual({ lines: 3, groups: [{ name: 'after', line: 2, end: 3, collapsed: true }] })
    expect(parser.end()).toEqual({ lines: 3, groups: [{ name: 'after', line: 2, end: 3, collapsed: true }] })
  })

  it('gives, for any split of the bytes or the text, the whole-text outline (property)', () => {
    const line = fc.oneof(
      fc.constantFrom('::group::build', '::group:: ünï ', '::endgroup::', '::endgroup::\r', '--- deps', '+++ tests €', '---', '--- ', '+++ x\r'),
      fc.string({ unit: fc.constantFrom('a', ' ', '-', '+', ':', 'é', '€', '\r'), maxLength: 12 })
    )
    const scenario = fc.record({
      ls: fc.array(line, { maxLength: 25 }),
      trailing: fc.boolean(),
      cuts: fc.array(fc.nat(), { maxLength: 12 }),
      asBytes: fc.boolean()
    })
    fc.assert(fc.property(scenario, ({ ls, trailing, cuts, asBytes }) => {
      const text = ls.join('\n') + (trailing ? '\n' : '')
      const whole: string | Uint8Array = asBytes ? Buffer.from(text, 'utf8') : text
      const points = [...new Set(cuts.map((c) => c % (whole.length + 1)))].sort((a, b) => a - b)
      const parser = createGroupParser()
      let at = 0
      for (const p of [...points, whole.length]) {
        parser.push(whole.slice(at, p))
        parser.snapshot()
        at = p
      }
      expect(parser.end()).toEqual(parseGroups(text))
    }), { numRuns: 1500 })
  })
})
