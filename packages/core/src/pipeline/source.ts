/**
 * Reading `.devq.yml` text into a YAML document that remembers where each value came from, with
 * the guards that keep hostile input cheap: a byte cap, a nesting cap checked before the recursive
 * composer ever sees the text, and `yaml`'s alias budget against billion-laughs expansion.
 */
import { createRequire } from 'node:module'
import type * as YamlModule from 'yaml'
import type { Document, Node } from 'yaml'
import { PIPELINE_LIMITS as L } from './limits.ts'

let loaded: typeof YamlModule | undefined

/**
 * `yaml`, loaded on first use: only a peer that announces or builds a run reads a pipeline, and
 * an idle node need not hold its seventy modules. Synchronous (its CommonJS build), so decoding
 * stays a plain function.
 */
function yaml (): typeof YamlModule {
  loaded ??= createRequire(import.meta.url)('yaml') as typeof YamlModule
  return loaded
}

/** A path into the decoded value, e.g. `['jobs', 'build', 'steps', 1, 'run']`. */
export type KeyPath = readonly (string | number)[]

/** A problem found before the value could be validated; `offset` is a UTF-16 index into the text. */
export interface SourceProblem {
  offset: number
  detail: string
}

/** A decoded document: the plain value plus what is needed to point back into the text. */
export interface YamlSource {
  value: unknown
  /** Finds the text position of `path` (or its nearest existing ancestor); `onKey` prefers the key. */
  locate: (path: KeyPath, onKey?: boolean) => { line: number, col: number }
  /** Line and column (1-based) of a UTF-16 offset. */
  position: (offset: number) => { line: number, col: number }
}

const FLOW_OPEN = new Set(['flow-seq-start', 'flow-map-start'])
const FLOW_CLOSE = new Set(['flow-seq-end', 'flow-map-end'])

/**
 * Offset of the first flow collection nested deeper than `max`, or -1. The lexer is iterative and
 * linear, so this stops `[[[[...` long before `yaml`'s recursive composer would exhaust the stack.
 */
function tooDeepFlow (text: string, max: number): number {
  let depth = 0
  let offset = 0
  for (const token of new (yaml().Lexer)().lex(text)) {
    const type = yaml().CST.tokenType(token)
    if (type !== null && FLOW_OPEN.has(type)) {
      if (++depth > max) return offset
    } else if (type !== null && FLOW_CLOSE.has(type)) {
      depth--
    }
    // Lexer control markers (document start, scalar start, flow end) are not source text.
    if (!(token.length === 1 && token < ' ' && token !== '\t' && token !== '\n' && token !== '\r')) offset += token.length
  }
  return -1
}

/** The first node nested deeper than `max` collections, walking iteratively; aliases are not followed. */
function tooDeepNode (root: unknown, max: number): Node | undefined {
  const stack: { node: unknown, depth: number }[] = [{ node: root, depth: 0 }]
  while (stack.length > 0) {
    const { node, depth } = stack.pop()!
    if (!yaml().isCollection(node)) continue
    if (depth + 1 > max) return node
    for (const item of node.items) {
      if (yaml().isPair(item)) {
        stack.push({ node: item.key, depth: depth + 1 }, { node: item.value, depth: depth + 1 })
      } else {
        stack.push({ node: item, depth: depth + 1 })
      }
    }
  }
  return undefined
}

/**
 * Decodes `text`, or returns the first problem. Never throws for any input.
 * Cost is linear in `text`, which is capped at `PIPELINE_LIMITS.maxBytes`.
 */
export function loadYaml (text: string): { ok: true, source: YamlSource } | { ok: false, problem: SourceProblem, position: YamlSource['position'] } {
  const lines = new (yaml().LineCounter)()
  const position = (offset: number): { line: number, col: number } => lines.linePos(offset)
  const fail = (offset: number, detail: string): { ok: false, problem: SourceProblem, position: YamlSource['position'] } =>
    ({ ok: false, problem: { offset, detail }, position: lines.lineStarts.length > 0 ? position : (o) => scanPosition(text, o) })
  const bytes = Buffer.byteLength(text, 'utf8')
  if (bytes > L.maxBytes) return fail(0, `file is ${bytes} bytes; at most ${L.maxBytes} are accepted`)
  const deepFlow = tooDeepFlow(text, L.maxDepth)
  if (deepFlow >= 0) return fail(deepFlow, `nesting deeper than ${L.maxDepth} levels`)
  const doc = yaml().parseDocument(text, { lineCounter: lines, prettyErrors: false, merge: true, uniqueKeys: true, version: '1.2' })
  const syntax = doc.errors[0]
  if (syntax !== undefined) return fail(syntax.pos[0], syntaxDetail(syntax.message))
  const deep = tooDeepNode(doc.contents, L.maxDepth)
  if (deep !== undefined) return fail(deep.range?.[0] ?? 0, `nesting deeper than ${L.maxDepth} levels`)
  let value: unknown
  try {
    value = doc.toJS({ maxAliasCount: L.maxAliasCount })
  } catch (err) {
    // `yaml` signals an exhausted alias budget (or an alias to a missing anchor) by throwing.
    const detail = err instanceof ReferenceError && /alias count/i.test(err.message)
      ? `too many aliases (at most ${L.maxAliasCount} alias expansions): possible alias bomb`
      : `cannot decode YAML: ${err instanceof Error ? err.message : String(err)}`
    return fail(0, detail)
  }
  return { ok: true, source: { value, position, locate: (path, onKey) => position(offsetOf(doc, path, onKey ?? false)) } }
}

/** Line and column without a `LineCounter`, for problems found before `yaml` has seen the text. */
function scanPosition (text: string, offset: number): { line: number, col: number } {
  let line = 1
  let start = 0
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) {
    line++
    start = i + 1
  }
  return { line, col: offset - start + 1 }
}

function syntaxDetail (message: string): string {
  // `yaml` appends " at line L, column C" (and a snippet with prettyErrors); the caller prefixes the position itself.
  return message.replace(/ at line \d+, column \d+:?[\s\S]*$/, '').trim() || 'invalid YAML'
}

/** Offset of the node at `path`, or of the deepest ancestor that exists (merged or missing keys). */
function offsetOf (doc: Document, path: KeyPath, onKey: boolean): number {
  let node: unknown = doc.contents
  let offset = (doc.contents as Node | null)?.range?.[0] ?? 0
  for (let i = 0; i < path.length; i++) {
    if (yaml().isAlias(node)) node = node.resolve(doc)
    const segment = path[i]
    if (yaml().isMap(node)) {
      const pair = node.items.find((p) => yaml().isScalar(p.key) && String(p.key.value) === String(segment))
      if (pair === undefined) return offset
      const last = i === path.length - 1
      // A block collection starts on the line below its key; the key is where a reader looks.
      const atKey = last && (onKey || (yaml().isCollection(pair.value) && pair.value.flow !== true))
      const target = atKey || !isNodeWithRange(pair.value) ? pair.key : pair.value
      node = pair.value
      offset = (target as Node).range?.[0] ?? offset
    } else if (yaml().isSeq(node) && typeof segment === 'number') {
      const item = node.items[segment]
      if (!isNodeWithRange(item)) return offset
      node = item
      offset = item.range?.[0] ?? offset
    } else {
      return offset
    }
  }
  return offset
}

function isNodeWithRange (x: unknown): x is Node {
  return (yaml().isScalar(x) || yaml().isCollection(x) || yaml().isAlias(x)) && (x as Node).range != null
}
