/**
 * Repositories whose hooks a hook manager owns (husky: a tracked `.husky/`; lefthook: a tracked
 * `lefthook.yml` and its spellings). Those tools own core.hooksPath and rewrite the hooks git runs,
 * so DevQ writes nothing there and says what to add to the manager's own files instead.
 */
import { BEGIN_MARK, END_MARK } from './blocks.ts'
import { blockBody, type HookName, type HookTarget } from './script.ts'

/** A hook manager DevQ leaves the hooks to. */
export type HookManager = 'husky' | 'lefthook'

/** Paths (from the repository's top) whose being tracked says which manager owns the hooks. */
export const MANAGER_PATHS = ['.husky', 'lefthook.yml', '.lefthook.yml', 'lefthook.yaml', '.lefthook.yaml', '.config/lefthook.yml', '.config/lefthook.yaml'] as const

/** Lines to add to one file of the manager's. */
export interface Advice {
  /** Relative to the repository's top. */
  file: string
  text: string
}

/** The manager that owns the hooks, from the tracked files among MANAGER_PATHS; husky first. */
export function managerOf (tracked: readonly string[]): HookManager | undefined {
  if (tracked.some((f) => f.startsWith('.husky/'))) return 'husky'
  if (tracked.length > 0) return 'lefthook'
  return undefined
}

const marked = (hook: HookName, target: HookTarget): string => `${BEGIN_MARK}\n${blockBody(hook, target)}${END_MARK}\n`

/**
 * What to add where. husky runs each `.husky/<hook>` file with sh, so the block goes there as it
 * would into a hook. lefthook's shared config is every clone's, so the block goes into
 * `lefthook-local.yml` (each developer's own, not committed) as a command's `run`, with git's
 * first argument set from lefthook's `{1}`.
 */
export function adviceFor (manager: HookManager, hooks: readonly HookName[], target: HookTarget): Advice[] {
  if (manager === 'husky') return hooks.map((hook) => ({ file: `.husky/${hook}`, text: marked(hook, target) }))
  const yaml = hooks.map((hook) => {
    const lines = `${hook === 'post-rewrite' ? 'set -- {1}\n' : ''}${marked(hook, target)}`.split('\n').filter((l) => l !== '')
    return `${hook}:\n  commands:\n    devq:\n      run: |\n${lines.map((l) => `        ${l}`).join('\n')}\n`
  })
  return [{ file: 'lefthook-local.yml', text: yaml.join('') }]
}

/** The human-readable form of advice: why, then each file and its lines. */
export function describeAdvice (manager: HookManager, tracked: readonly string[], advice: readonly Advice[]): string {
  const why = manager === 'husky'
    ? 'husky manages this repository\'s hooks (.husky/ is tracked) and owns core.hooksPath, so DevQ wrote no hook.'
    : `lefthook manages this repository's hooks (${tracked.join(', ')} tracked) and owns the hooks git runs, so DevQ wrote no hook.`
  const note = manager === 'husky'
    ? 'The lines name this machine\'s node, devq and data dir; on a clone where those are missing they do nothing.'
    : 'lefthook-local.yml is this clone\'s own (keep it out of git); run lefthook install after editing it.'
  return [why, 'Add these lines:', ...advice.map((a) => `\n--- ${a.file}\n${a.text}`), note].join('\n')
}
