/**
 * Lines someone else put inside DevQ's marked block: uninstall keeps them. DevQ's own lines are
 * what install writes (or an earlier version wrote) for the node, entry and data dir the block
 * itself names (script.ts), so the block is compared with each such body, line by line in order
 * (a longest common subsequence): what matches the closest one is DevQ's, the rest is not. Pure.
 */
import { blockBody, formerBlockBodies, type HookName, type HookTarget } from './script.ts'

/** The word a single-quoted sh word (`'it'\''s'`, as shQuote writes it) stands for, or undefined. */
export function shUnquote (word: string): string | undefined {
  let out = ''
  let i = 0
  while (i < word.length) {
    if (word.startsWith('\\\'', i)) {
      out += '\''
      i += 2
      continue
    }
    if (word[i] !== '\'') return undefined
    const close = word.indexOf('\'', i + 1)
    if (close === -1) return undefined
    out += word.slice(i + 1, close)
    i = close + 1
  }
  return out
}

/** The target a block's own lines name (`devq_node='...'` and so on; a quoted path may span lines); a missing one is empty. */
function targetNamed (lines: readonly string[]): HookTarget {
  const value = (name: string): string => {
    const at = lines.findIndex((l) => l.startsWith(`${name}='`))
    if (at === -1) return ''
    for (let end = at; end < lines.length; end++) {
      const word = shUnquote(lines.slice(at, end + 1).join('\n').slice(name.length + 1))
      if (word !== undefined) return word
    }
    return ''
  }
  return { node: value('devq_node'), cli: value('devq_cli'), dataDir: value('devq_data') }
}

/** Which of `lines` are in a longest common subsequence with `ours`. */
function matched (lines: readonly string[], ours: readonly string[]): boolean[] {
  const n = lines.length
  const m = ours.length
  // lcs[i][j]: the longest common subsequence of lines[i..] and ours[j..].
  const lcs = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1))
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) lcs[i]![j] = lines[i] === ours[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!)
  }
  const taken = new Array<boolean>(n).fill(false)
  let i = 0
  let j = 0
  while (i < n && j < m) {
    if (lines[i] === ours[j]) {
      taken[i++] = true
      j++
    } else if (lcs[i + 1]![j]! >= lcs[i]![j + 1]!) i++
    else j++
  }
  return taken
}

/**
 * The lines of `inner` (the lines between the block's marks, without their breaks) that DevQ
 * did not write for `hook`; blank ones are not counted. Empty when the block is as an install
 * (of this version or an earlier one) left it.
 */
export function foreignLines (hook: HookName, inner: readonly string[]): string[] {
  const trimmed = inner.map((l) => l.trimEnd())
  const target = targetNamed(inner)
  let best: string[] | undefined
  for (const body of [blockBody(hook, target), ...formerBlockBodies(hook, target)]) {
    const ours = body.split('\n').slice(0, -1).map((l) => l.trimEnd())
    const taken = matched(trimmed, ours)
    const foreign = inner.filter((l, i) => !taken[i] && l.trim() !== '')
    if (best === undefined || foreign.length < best.length) best = foreign
  }
  return best ?? []
}
