/** The Grafana dashboard in deploy/grafana reads only what a node exports, in PromQL that parses. */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { execa } from 'execa'
import { describe, expect, it } from 'vitest'
import { createMetricsRegistry, DEVQ_VERSION } from '../src/index.ts'

const DASHBOARD = new URL('../../../deploy/grafana/devq-dashboard.json', import.meta.url)

interface Target { expr: string, refId: string, datasource: { uid: string } }
interface Panel { title: string, type: string, datasource: { uid: string }, targets?: Target[], panels?: Panel[] }
interface Dashboard {
  __inputs: { name: string, type: string, pluginId: string }[]
  schemaVersion: number
  panels: Panel[]
  templating: { list: { name: string, query: { query: string } }[] }
}

const dashboard = JSON.parse(await readFile(DASHBOARD, 'utf8')) as Dashboard
const panels = dashboard.panels.flatMap((p) => [p, ...(p.panels ?? [])]).filter((p) => p.targets !== undefined)
const exprs = panels.flatMap((p) => p.targets!.map((t) => ({ panel: p.title, expr: t.expr })))

/** PromQL words that are not metric names. */
const KEYWORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'offset', 'bool', 'and', 'or', 'unless', 'inf', 'nan'])

/** The metric names an expression selects: identifiers outside strings, label sets, ranges and groupings that are not called as functions. */
function metricNames (expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, '')
    .replace(/\[[^\]]*\]/g, '')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, '')
  return [...bare.matchAll(/\b([a-zA-Z_:][a-zA-Z0-9_:]*)\b(\s*\()?/g)]
    .filter((m) => m[2] === undefined && !KEYWORDS.has(m[1]!.toLowerCase()))
    .map((m) => m[1]!)
}

/** Every name a scrape may show: the families, and a histogram's `_bucket`, `_sum` and `_count` series. */
function exportedNames (): Set<string> {
  const { registry } = createMetricsRegistry(() => { throw new Error('nothing is collected here') }, { version: DEVQ_VERSION, protocols: { source: 'git', artifacts: 'artifacts' } })
  const names = new Set<string>()
  for (const m of registry.getMetricsAsArray()) {
    names.add(m.name)
    if (m.type.toString() === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) names.add(m.name + suffix)
  }
  return names
}

describe('deploy/grafana/devq-dashboard.json', () => {
  it('imports with a Prometheus data source input and shows the grid\'s panels', () => {
    expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(39)
    expect(dashboard.__inputs).toEqual([expect.objectContaining({ name: 'DS_PROMETHEUS', type: 'datasource', pluginId: 'prometheus' })])
    for (const p of panels) {
      expect(p.datasource.uid, p.title).toBe('${DS_PROMETHEUS}')
      for (const t of p.targets!) expect(t.datasource.uid, p.title).toBe('${DS_PROMETHEUS}')
    }
    expect(panels.map((p) => p.title)).toEqual(expect.arrayContaining([
      'Queue depth by priority', 'Queue wait by priority (p50, p95)', 'Jobs by result', 'Job run time (p50, p95, p99)', 'Peers by status', 'Slot use by node'
    ]))
  })

  it('names in every query only metrics a node exports', () => {
    const exported = exportedNames()
    expect(exported).toContain('devq_queue_wait_seconds_bucket')
    // A variable's `label_values(selector, label)` is Grafana's: its selector is PromQL.
    const variables = dashboard.templating.list.map((v) => ({ panel: `variable ${v.name}`, expr: /^label_values\((.*),\s*\w+\)$/.exec(v.query.query)?.[1] ?? v.query.query }))
    const queries = [...exprs, ...variables]
    for (const { panel, expr } of queries) {
      const names = metricNames(expr)
      expect(names.length, `${panel}: ${expr}`).toBeGreaterThan(0)
      for (const name of names) expect(exported.has(name), `${panel}: ${name} in ${expr}`).toBe(true)
    }
  })

  it('has queries that parse as PromQL (promtool check rules)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'devq-dashboard-'))
    try {
      // Grafana fills these in before Prometheus sees a query.
      const rules = exprs.map((e, i) => `      - record: devq:dashboard_query_${i}\n        expr: ${JSON.stringify(e.expr.replaceAll('$__rate_interval', '5m').replaceAll('$peer', '127.0.0.1:4000'))}`)
      const file = join(dir, 'rules.yml')
      await writeFile(file, `groups:\n  - name: dashboard\n    rules:\n${rules.join('\n')}\n`)
      const check = await execa('promtool', ['check', 'rules', file], { reject: false })
      expect(check.exitCode, check.stdout + check.stderr).toBe(0)
      expect(check.stdout).toContain(`SUCCESS: ${exprs.length} rules found`)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})
