/**
 * DevQ's marked block in a git hook file, as text: adding it to a hook that may already exist,
 * replacing it, and taking it out again so that the rest of the file is byte for byte what it was.
 * Pure: the caller reads and writes the files (install.ts).
 */

/** First line of DevQ's block. */
export const BEGIN_MARK = '# >>> devq >>>'
/** Last line of DevQ's block. */
export const END_MARK = '# <<< devq <<<'
/**
 * Second line of a block put after a last line that had no line break: uninstall takes that break
 * out again, so the file ends as it did.
 */
export const ADDED_BREAK = '# devq: added the line break before this block'

/** Interpreters whose scripts DevQ's shell lines may be added to. */
const SHELLS = new Set(['sh', 'bash', 'dash', 'zsh', 'ksh', 'ash', 'mksh', 'yash'])

/** Why DevQ will not add its lines to an existing hook file. */
export type HookRefusal = { reason: 'binary' | 'no_shebang' | 'not_shell' | 'damaged_block', detail: string }

/** The interpreter a `#!` line runs (through `env` too), or undefined. */
export function interpreterOf (shebang: string): string | undefined {
  if (!shebang.startsWith('#!')) return undefined
  const words = shebang.slice(2).trim().split(/\s+/).filter((w) => w !== '')
  const base = (w: string | undefined): string | undefined => w?.split('/').at(-1)
  let program = base(words[0])
  let i = 1
  if (program === 'env' || program === 'busybox') {
    // env's own options and VAR=value assignments come before the program.
    while (i < words.length && (words[i]!.startsWith('-') || words[i]!.includes('='))) i++
    program = base(words[i])
  }
  return program
}

/** Where DevQ's block is: the offsets of its first line and just past its last line's break. */
export function findBlock (text: string): { start: number, end: number, addedBreak: boolean } | HookRefusal | undefined {
  const lines = text.split('\n')
  let offset = 0
  let start: number | undefined
  let addedBreak = false
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trimEnd()
    if (start === undefined && line === BEGIN_MARK) {
      start = offset
      addedBreak = lines[i + 1]?.trimEnd() === ADDED_BREAK
    } else if (start !== undefined && line === BEGIN_MARK) {
      return { reason: 'damaged_block', detail: `a second "${BEGIN_MARK}" line before "${END_MARK}"` }
    } else if (start !== undefined && line === END_MARK) {
      return { start, end: Math.min(text.length, offset + lines[i]!.length + 1), addedBreak }
    }
    offset += lines[i]!.length + 1
  }
  if (start !== undefined) return { reason: 'damaged_block', detail: `"${BEGIN_MARK}" without a "${END_MARK}" line after it` }
  if (lines.some((l) => l.trimEnd() === END_MARK)) return { reason: 'damaged_block', detail: `"${END_MARK}" without a "${BEGIN_MARK}" line before it` }
  return undefined
}

const isRefusal = (v: unknown): v is HookRefusal => typeof v === 'object' && v !== null && 'reason' in v

/** Why the existing hook `text` cannot take DevQ's shell lines, or undefined when it can. */
export function refusalFor (text: string): HookRefusal | undefined {
  if (text.includes('\0')) return { reason: 'binary', detail: 'it is a binary file, not a script' }
  const first = text.split('\n', 1)[0]!
  if (!first.startsWith('#!')) return { reason: 'no_shebang', detail: 'it has no #! line naming its interpreter, so it is not clear it is a shell script' }
  const program = interpreterOf(first)
  if (program === undefined || !SHELLS.has(program)) return { reason: 'not_shell', detail: `it is a ${program ?? 'non-shell'} script (${first.trim()}), and DevQ's lines are shell` }
  const block = findBlock(text)
  return isRefusal(block) ? block : undefined
}

/** How `withBlock` changed the file. */
export type BlockChange = 'created' | 'added' | 'updated' | 'unchanged'

/**
 * The hook's text with `body` (the lines between the marks, each ending in a line break) as
 * DevQ's block: a new file is `#!/bin/sh` and the block; an existing block is replaced in place;
 * otherwise the block goes at the end, or at `top` right after the `#!` line (for a hook whose
 * stdin the block must read before the rest of the file does). Throws nothing: call `refusalFor`
 * on an existing file first.
 */
export function withBlock (existing: string | undefined, body: string, at: 'end' | 'top' = 'end'): { text: string, change: BlockChange } {
  const block = (addedBreak: boolean): string => `${BEGIN_MARK}\n${addedBreak ? `${ADDED_BREAK}\n` : ''}${body}${END_MARK}\n`
  if (existing === undefined) return { text: `#!/bin/sh\n${block(false)}`, change: 'created' }
  const found = findBlock(existing)
  if (found !== undefined && !isRefusal(found)) {
    const text = existing.slice(0, found.start) + block(found.addedBreak) + existing.slice(found.end)
    return { text, change: text === existing ? 'unchanged' : 'updated' }
  }
  const firstBreak = existing.indexOf('\n')
  const cut = at === 'top' ? (firstBreak === -1 ? existing.length : firstBreak + 1) : existing.length
  const addedBreak = cut > 0 && existing[cut - 1] !== '\n'
  const text = existing.slice(0, cut) + (addedBreak ? '\n' : '') + block(addedBreak) + existing.slice(cut)
  return { text, change: 'added' }
}

/** How `withoutBlock` changed the file. */
export type UnblockChange = 'removed' | 'deleted' | 'absent'

/** The lines between a block's marks (without DevQ's added-break line), without their breaks. */
function innerLines (existing: string, found: { start: number, end: number, addedBreak: boolean }): string[] {
  const lines = existing.slice(found.start, found.end).split('\n')
  if (lines.at(-1) === '') lines.pop()
  return lines.slice(found.addedBreak ? 2 : 1, -1)
}

/**
 * The hook's text without DevQ's block (and the line break it added, if it did); `text` is
 * undefined when nothing but the `#!` line and blank lines is left, so the file can go.
 * `foreign` picks the lines between the marks that are not DevQ's: they stay where the block was,
 * without the marks, and `kept` lists them.
 */
export function withoutBlock (existing: string, foreign: (inner: string[]) => string[] = () => []): { text: string | undefined, change: UnblockChange, kept?: string[] } | HookRefusal {
  const found = findBlock(existing)
  if (found === undefined) return { text: existing, change: 'absent' }
  if (isRefusal(found)) return found
  const kept = foreign(innerLines(existing, found))
  if (kept.length > 0) return { text: existing.slice(0, found.start) + kept.map((l) => `${l}\n`).join('') + existing.slice(found.end), change: 'removed', kept }
  const start = found.addedBreak && found.start > 0 ? found.start - 1 : found.start
  const text = existing.slice(0, start) + existing.slice(found.end)
  const rest = text.split('\n').filter((l, i) => !(i === 0 && l.startsWith('#!')) && l.trim() !== '')
  return rest.length === 0 ? { text: undefined, change: 'deleted' } : { text, change: 'removed' }
}
