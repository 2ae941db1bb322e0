/**
 * The shell lines of DevQ's hook blocks. Each names the node binary, the `devq` entry and the
 * data dir by absolute path, runs `devq hook announce` in the background with stdin, stdout and
 * stderr detached (output to `hooks.log` in the data dir), and returns at once. The lines never
 * fail the hook: with the binary or the entry gone they do nothing, they hold under `set -eu`,
 * and they leave the hook's exit status as the lines before them left it.
 */

/** The hooks DevQ installs: on a developer's clone, and on a shared (bare) repository that takes pushes. */
export const CLONE_HOOKS = ['post-commit', 'post-rewrite'] as const
export const SERVER_HOOKS = ['post-receive'] as const
export type HookName = typeof CLONE_HOOKS[number] | typeof SERVER_HOOKS[number]

/** What the block runs, each an absolute path. */
export interface HookTarget {
  node: string
  cli: string
  dataDir: string
}

/** `s` as one word for sh: single-quoted, a `'` inside written as `'\''`. */
export function shQuote (s: string): string {
  return `'${s.replaceAll('\'', '\'\\\'\'')}'`
}

function preamble (hook: HookName, t: HookTarget): string {
  const what = hook === 'post-receive' ? 'announces each pushed branch head' : 'announces the new commit'
  return `# Added by devq hook install: ${what} to the DevQ grid in the background; devq hook uninstall removes it.
devq_rc=$?
devq_node=${shQuote(t.node)}
devq_cli=${shQuote(t.cli)}
devq_data=${shQuote(t.dataDir)}
`
}

/** The background command: the announce, with its output appended to hooks.log (0600 from the start). */
function launch (args: string): string {
  return `( umask 077; mkdir -p "$devq_data" && exec "$devq_node" "$devq_cli" hook announce --data-dir "$devq_data" --repo "$PWD" ${args} >>"$devq_data/hooks.log" 2>&1 )`
}

/** The shell lines that put together a queue entry's name (`<ms>-<8 hex>`) in `$devq_q/$devq_f`. */
function entryName (): string {
  return `devq_ms=$(date +%s%3N 2>/dev/null) || devq_ms=
      case "$devq_ms" in [1-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]) ;; *) devq_ms="$(date +%s)000" ;; esac
      devq_q="$devq_data/hook-queue"; devq_f="$devq_ms-$(printf %08x "$$")"`
}

/** The printf of a queue entry into its temp file, and of the `queued` line for hooks.log. */
function entryLines (hook: 'post-commit' | 'post-rewrite'): { entry: string, queued: string } {
  const rewrite = hook === 'post-rewrite' ? ',"rewrite":"%s"' : ''
  const rewriteArg = hook === 'post-rewrite' ? ' "${1:-}"' : ''
  return {
    entry: `printf '{"v":1,"dir":"%s","commit":"%s","ref":"%s","hook":"${hook}","queuedAt":%s}\\n' "$PWD" "$devq_sha" "$devq_ref" "$devq_ms" >"$devq_q/$devq_f.json.tmp"`,
    queued: `printf '{"time":"%s","hook":"${hook}","event":"queued","dir":"%s","commit":"%s","ref":"%s"${rewrite}}\\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$PWD" "$devq_sha" "$devq_ref"${rewriteArg} >>"$devq_data/hooks.log"`
  }
}

/**
 * The queue entry written by the shell itself (no Node process on the commit's path: the running
 * node watches the queue and announces the entry within milliseconds), when the directory and
 * the ref need no JSON escaping; otherwise `devq hook announce` writes it. The entry is written
 * to a temp name and renamed, as the queue's readers expect; its name is the time in ms and the
 * hook's pid, unique per hook run. Plain POSIX sh and coreutils (date's %3N falls back to whole seconds).
 * When the entry cannot be written (the queue is not a writable directory, the disk is full) the
 * commit goes to `devq hook announce` after all, which tries again and says in hooks.log what failed.
 */
function queueInShell (hook: 'post-commit' | 'post-rewrite'): string {
  const { entry, queued } = entryLines(hook)
  return `if ! ( umask 077
      ${entryName()}
      mkdir -p "$devq_q" &&
        ${entry} &&
        mv -f "$devq_q/$devq_f.json.tmp" "$devq_q/$devq_f.json" || { rm -f "$devq_q/$devq_f.json.tmp"; exit 1; }
      ${queued} || :
    ) </dev/null >/dev/null 2>&1; then ${launchAnnounce(hook)} fi`
}

/**
 * The shell's queue entry as the previous version wrote it: a failed write was dropped silently.
 * Its text must stay as it was written, so uninstall knows its lines as DevQ's.
 */
function queueInShellDroppingFailures (hook: 'post-commit' | 'post-rewrite'): string {
  const { entry, queued } = entryLines(hook)
  return `( umask 077
      ${entryName()}
      mkdir -p "$devq_q" &&
        ${entry} &&
        mv -f "$devq_q/$devq_f.json.tmp" "$devq_q/$devq_f.json" &&
        ${queued}
    ) </dev/null >/dev/null 2>&1 || :`
}

/**
 * post-commit and post-rewrite: HEAD as it is now (commit and branch, in one git call). A rebase
 * runs post-commit for every commit it picks on a detached HEAD and post-rewrite \`rebase\` once at
 * its end, so commits made while a rebase is in progress are left to that one announce. `announce`
 * is what the block does with the commit it read, as lines at the depth of its `if`.
 */
function cloneBlock (hook: 'post-commit' | 'post-rewrite', t: HookTarget, detachedRef: string, announce: string): string {
  const inRebase = '{ [ -d "$devq_rm" ] || [ -d "$devq_ra" ]; }'
  const skip = hook === 'post-rewrite' ? `{ [ "\${1:-}" != rebase ] && ${inRebase}; }` : inRebase
  return `${preamble(hook, t)}if [ -x "$devq_node" ] && [ -f "$devq_cli" ]; then
  devq_at=$(git rev-parse HEAD --symbolic-full-name HEAD --git-path rebase-merge --git-path rebase-apply 2>/dev/null) || devq_at=
  devq_nl='
'
  devq_sha=\${devq_at%%"$devq_nl"*}; devq_at=\${devq_at#*"$devq_nl"}
  devq_ref=\${devq_at%%"$devq_nl"*}; devq_at=\${devq_at#*"$devq_nl"}
  devq_rm=\${devq_at%%"$devq_nl"*}; devq_ra=\${devq_at#*"$devq_nl"}
${detachedRef}  if [ -n "$devq_sha" ] && ! ${skip}; then
${announce}  fi
fi
[ "$devq_rc" -eq 0 ]
`
}

/** The background `devq hook announce` of one clone hook's commit. */
function launchAnnounce (hook: 'post-commit' | 'post-rewrite'): string {
  const rewrite = hook === 'post-rewrite' ? ' --rewrite "${1:-}"' : ''
  return `${launch(`--hook ${hook} --sha "$devq_sha" --ref "$devq_ref"${rewrite}`)} </dev/null >/dev/null 2>&1 &`
}

/**
 * Today's clone hook: the shell queues the commit, or hands it to `devq hook announce` when JSON
 * would need escapes. `queue` is the shell's queueing lines (today's, or an earlier version's).
 */
function cloneBody (hook: 'post-commit' | 'post-rewrite', t: HookTarget, queue = queueInShell): string {
  return cloneBlock(hook, t, '  [ "$devq_ref" != HEAD ] || devq_ref=\n', `    case "$PWD$devq_ref\${1:-}" in
      *'"'*|*'\\'*|*[[:cntrl:]]*) ${launchAnnounce(hook)} ;;
      *) ${queue(hook)} ;;
    esac
`)
}

/**
 * post-receive: git gives `<old> <new> <ref>` lines on stdin. The block reads them, hands them to
 * the background announce, and gives the rest of the hook the same lines on its stdin.
 */
function serverBody (t: HookTarget): string {
  return `${preamble('post-receive', t)}if [ -x "$devq_node" ] && [ -f "$devq_cli" ]; then
  devq_refs=$(cat) || devq_refs=
  if [ -n "$devq_refs" ]; then
    ( printf '%s\\n' "$devq_refs" | ${launch('--hook post-receive')} ) </dev/null >/dev/null 2>&1 &
    exec 0<<devq_refs_end
$devq_refs
devq_refs_end
  fi
fi
[ "$devq_rc" -eq 0 ]
`
}

/**
 * The clone hooks' body before the shell wrote the queue entry itself: every commit started
 * `devq hook announce`. Its text must stay as it was written, so uninstall knows its lines as DevQ's.
 */
function cloneBodyLaunchingAnnounce (hook: 'post-commit' | 'post-rewrite', t: HookTarget): string {
  return cloneBlock(hook, t, '', `    ${launchAnnounce(hook)}\n`)
}

/**
 * The bodies earlier versions of DevQ wrote for `hook`, newest first, so that uninstall takes out
 * a block an older install wrote as wholly as one of today's. A change to a body adds the old one here.
 */
export function formerBlockBodies (hook: HookName, target: HookTarget): string[] {
  return hook === 'post-receive' ? [] : [cloneBody(hook, target, queueInShellDroppingFailures), cloneBodyLaunchingAnnounce(hook, target)]
}

/** The lines between DevQ's marks for `hook`, each ending in a line break. */
export function blockBody (hook: HookName, target: HookTarget): string {
  return hook === 'post-receive' ? serverBody(target) : cloneBody(hook, target)
}

/** Where the block goes in an existing hook: post-receive's first, so it reads stdin before the rest. */
export const placementOf = (hook: HookName): 'top' | 'end' => (hook === 'post-receive' ? 'top' : 'end')
