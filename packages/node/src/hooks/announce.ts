/**
 * `devq hook announce`: what DevQ's git hook blocks run in the background. It writes each
 * announcement to the hook queue first, then asks the running node (if any) to announce it, and
 * settles the entry by the answer. It never fails the hook's caller: every problem becomes a line
 * in its output (the hook sends that to `hooks.log` in the data dir) and the exit code is 0.
 * Only zod and node builtins are loaded, so it starts in about 100 ms on every commit.
 */
import { resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { z } from 'zod'
import { readPrivateFile } from '../private-file.ts'
import { ApiToken, readRuntime, tokenPath } from '../runtime-file.ts'
import { rotateHookLog } from './hook-log.ts'
import { enqueue, isPermanent, QueueEntry, readQueued, settle, type Outcome } from './queue.ts'

/** Most bytes of `<old> <new> <ref>` lines a post-receive announce reads. */
const MAX_PUSH_BYTES = 1024 * 1024
/** How long one announce through the API may take (ms); past it the entry stays queued. */
const ANNOUNCE_TIMEOUT_MS = 60_000

const ZERO = /^0+$/
const SHA = /^[0-9a-f]{40}([0-9a-f]{24})?$/

const AnsweredRun = z.object({ run: z.string().max(64), existing: z.boolean().optional() })
const AnsweredError = z.object({ name: z.string().max(128), message: z.string().max(16_384).optional(), data: z.object({ reason: z.string().max(64).optional() }).passthrough().optional() })

/**
 * The branch heads a push updated, from post-receive's `<old> <new> <ref>` lines: `refs/heads/*`
 * only (no tags, no notes), no deletions, at most once per ref.
 */
export function pushedHeads (text: string): { commit: string, ref: string }[] {
  const heads = new Map<string, string>()
  for (const line of text.split('\n')) {
    const [, next, ref] = line.trim().split(' ')
    if (next === undefined || ref === undefined || !SHA.test(next) || ZERO.test(next) || !ref.startsWith('refs/heads/')) continue
    heads.set(ref, next)
  }
  return [...heads].map(([ref, commit]) => ({ commit, ref }))
}

async function readAll (input: AsyncIterable<Buffer | string>, max: number): Promise<string> {
  let text = ''
  for await (const chunk of input) {
    text += chunk.toString()
    if (text.length > max) return text.slice(0, text.lastIndexOf('\n', max) + 1)
  }
  return text
}

/** The running node's API and token, or undefined when none runs on `dataDir`. */
async function nodeLink (dataDir: string): Promise<{ api: string, token: string } | undefined> {
  const info = await readRuntime(dataDir)
  if (info === undefined) return undefined
  const bytes = await readPrivateFile(tokenPath(dataDir), 'the control API\'s bearer token', 1024, (message) => new Error(message))
  const token = ApiToken.safeParse(bytes?.toString('utf8').trim())
  return token.success ? { api: info.api, token: token.data } : undefined
}

/** Asks the node to announce one entry (POST /v1/runs) and turns its answer into an outcome. */
async function announceOverApi (link: { api: string, token: string }, entry: QueueEntry): Promise<Outcome> {
  let res: Response
  try {
    res = await fetch(`${link.api}/v1/runs`, {
      method: 'POST',
      headers: { authorization: `Bearer ${link.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ dir: entry.dir, sha: entry.commit, ref: entry.ref }),
      signal: AbortSignal.timeout(ANNOUNCE_TIMEOUT_MS)
    })
  } catch (err) {
    return { kind: 'later', detail: `the node does not answer at ${link.api}: ${(err as Error).message}` }
  }
  const body: unknown = await res.json().catch(() => undefined)
  if (res.ok) {
    const run = AnsweredRun.safeParse(body)
    return run.success ? { kind: 'announced', run: run.data.run, existing: run.data.existing === true } : { kind: 'later', detail: `HTTP ${res.status} with an answer that is not a run` }
  }
  const err = AnsweredError.safeParse(body)
  const name = err.success ? err.data.name : `HTTP ${res.status}`
  const detail = err.success ? (err.data.message ?? name) : name
  if (isPermanent(name, res.status)) return { kind: 'refused', reason: err.data?.data?.reason ?? name, detail }
  return { kind: 'later', detail }
}

type Flags = { 'data-dir'?: string, repo?: string, hook?: string, sha?: string, ref?: string, rewrite?: string }

/** The announcements one hook run makes. */
async function entriesOf (flags: Flags, input: AsyncIterable<Buffer | string>, nowMs: number): Promise<{ entries: QueueEntry[], problems: string[] }> {
  const dir = resolve(flags.repo ?? process.cwd())
  const hook = flags.hook ?? 'post-commit'
  const seen = hook === 'post-receive'
    ? pushedHeads(await readAll(input, MAX_PUSH_BYTES))
    // `git rev-parse --symbolic-full-name HEAD` says HEAD for a detached HEAD: announced as `''`, as `devq run` does.
    : [{ commit: flags.sha ?? '', ref: flags.ref === 'HEAD' ? '' : (flags.ref ?? '') }]
  const entries: QueueEntry[] = []
  const problems: string[] = []
  for (const s of seen) {
    const parsed = QueueEntry.safeParse({ v: 1, dir, commit: s.commit, ref: s.ref, hook, queuedAt: nowMs })
    if (parsed.success) entries.push(parsed.data)
    else problems.push(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '))
  }
  return { entries, problems }
}

/**
 * Runs `devq hook announce` with `argv` (after `hook announce`), reading post-receive's lines from
 * `input`; writes one JSON line per event to `out`. Never throws and never sets a failing exit code.
 */
export async function runHookAnnounce (argv: string[], input: AsyncIterable<Buffer | string> = process.stdin, out: (line: string) => void = (l) => { process.stdout.write(l + '\n') }): Promise<void> {
  const log = (fields: Record<string, unknown>): void => { out(JSON.stringify({ time: new Date().toISOString(), ...fields })) }
  try {
    const { values: flags } = parseArgs({ args: argv, strict: false, options: { 'data-dir': { type: 'string' }, repo: { type: 'string' }, hook: { type: 'string' }, sha: { type: 'string' }, ref: { type: 'string' }, rewrite: { type: 'string' } } }) as { values: Flags }
    if (flags['data-dir'] === undefined) throw new Error('--data-dir is required')
    const dataDir = resolve(flags['data-dir'])
    await rotateHookLog(dataDir)
    const { entries, problems } = await entriesOf(flags, input, Date.now())
    for (const p of problems) log({ hook: flags.hook, event: 'skipped', detail: p })
    const names: string[] = []
    for (const entry of entries) {
      names.push(await enqueue(dataDir, entry))
      log({ hook: entry.hook, event: 'queued', dir: entry.dir, commit: entry.commit, ref: entry.ref, ...(flags.rewrite === undefined ? {} : { rewrite: flags.rewrite }) })
    }
    if (names.length === 0) return
    const link = await nodeLink(dataDir)
    if (link === undefined) {
      log({ event: 'waiting', detail: `no devq-node runs on ${dataDir}: it announces the queued commits when it starts` })
      return
    }
    for (const name of names) {
      const read = await readQueued(dataDir, name)
      if (read === undefined || !('entry' in read)) continue
      const outcome = await announceOverApi(link, read.entry)
      await settle(dataDir, name, outcome)
      const { kind, ...said } = outcome
      log({ event: kind, commit: read.entry.commit, ref: read.entry.ref, ...said })
    }
  } catch (err) {
    log({ event: 'error', detail: (err as Error).message })
  }
}
