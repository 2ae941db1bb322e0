/** Scrapes a node's `/metrics` as Prometheus does and reads the text exposition back. */
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { NodeProc } from './harness.ts'

/** One sample line: `name{labels} value`. */
export interface Sample {
  name: string
  labels: Record<string, string>
  value: number
}

/** A scrape's answer: status, content type and body. */
export interface Scrape {
  status: number
  type: string
  text: string
}

/** GET /metrics of `node` with its token (or `token` given, or none when null), as a scraper sends it. */
export async function scrape (node: NodeProc, token?: string | null): Promise<Scrape> {
  const bearer = token === undefined ? (await readFile(join(node.dataDir, 'api.token'), 'utf8')).trim() : token
  const res = await fetch(`${node.api}/metrics`, { headers: bearer === null ? {} : { authorization: `Bearer ${bearer}` } })
  return { status: res.status, type: res.headers.get('content-type') ?? '', text: await res.text() }
}

/** The samples of a scrape, by the text format's line grammar (comments skipped). */
export function samplesOf (text: string): Sample[] {
  const out: Sample[] = []
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)$/.exec(line)
    if (m === null) throw new Error(`not a sample line: ${line}`)
    const labels: Record<string, string> = {}
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!
    out.push({ name: m[1]!, labels, value: Number(m[3]) })
  }
  return out
}

/** The value of the one sample named `name` whose labels include `labels`; throws when there is none. */
export function valueOf (samples: readonly Sample[], name: string, labels: Record<string, string> = {}): number {
  const found = samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
  if (found.length !== 1) throw new Error(`${found.length} samples of ${name}${JSON.stringify(labels)}`)
  return found[0]!.value
}

/** The metric families a scrape declares (`# TYPE name kind`), by name. */
export function familiesOf (text: string): Map<string, string> {
  const out = new Map<string, string>()
  for (const m of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) out.set(m[1]!, m[2]!)
  return out
}
