import { createHmac, randomUUID } from 'node:crypto'
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { startNode, waitFor, waitMeshed, type NodeProc } from './harness.ts'
import { gridFixture } from './grid-fixture.ts'
import { waitRun, type BuildJob } from './builds.ts'
import { commitAll, git } from './fixtures/c-project.ts'
import { freePort, serveGitDaemon, type GitDaemon } from './fixtures/git-daemon.ts'

const fx = gridFixture()
const daemons: GitDaemon[] = []
afterEach(async () => { await Promise.all(daemons.splice(0).map(async (d) => { await d.stop() })) })

const SECRET = 'devq-webhook-secret-for-tests'
const ZERO = '0'.repeat(40)

/** One job that writes the commit it built into an artifact. */
const PIPELINE = `version: 1
jobs:
  hello:
    steps:
      - echo "built $DEVQ_SHA" > out.txt
    artifacts: [{ name: out.txt, paths: [out.txt] }]
`

interface Answer { status: number, body?: { name?: string, message?: string, data?: { detail?: string, field?: string }, delivery?: string, status?: string }, ignored: string | null }
interface Delivery { id: string, status: string, answer: number, forge?: string, detail?: string, repository?: string, ref?: string, commit?: string, run?: string, jobs?: string[] }

const hmac = (body: string | Buffer, secret = SECRET): string => createHmac('sha256', secret).update(body).digest('hex')

async function deliver (url: string, headers: Record<string, string>, body: string | Buffer): Promise<Answer> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body })
  const text = await res.text()
  return { status: res.status, ...(text === '' ? {} : { body: JSON.parse(text) as Answer['body'] }), ignored: res.headers.get('x-devq-ignored') }
}

const githubBody = (clone: string, ref: string, after: string, extra: object = {}): string =>
  JSON.stringify({ ref, before: ZERO, after, created: false, deleted: false, forced: false, compare: '', commits: [], pusher: { name: 'dev' }, repository: { id: 7, name: 'app', full_name: 'team/app', clone_url: clone, private: false }, ...extra })
const githubHeaders = (body: string | Buffer, event = 'push', secret = SECRET): Record<string, string> =>
  ({ 'x-github-event': event, 'x-github-delivery': randomUUID(), 'x-hub-signature-256': `sha256=${hmac(body, secret)}`, 'user-agent': 'GitHub-Hookshot/devq-test' })

/** A repository with the pipeline committed, pushed to a bare one that git daemon serves. */
async function forge (): Promise<{ work: string, bare: string, clone: string, commit: string, daemon: GitDaemon }> {
  const work = await fx.repo(PIPELINE, 'work')
  const served = await fx.tempDir('served')
  const bare = join(served, 'app.git')
  await git(served, ['clone', '--bare', '-q', work, bare])
  const daemon = await serveGitDaemon(served, 'app.git')
  daemons.push(daemon)
  return { work, bare, clone: daemon.url('app.git'), commit: await git(work, ['rev-parse', 'HEAD']), daemon }
}

async function secretFile (): Promise<string> {
  const path = join(await fx.tempDir('secret'), 'webhook.secret')
  await writeFile(path, SECRET + '\n', { mode: 0o600 })
  return path
}

const hookArgs = (secret: string): string[] => ['--webhook-listen', '127.0.0.1:0', '--webhook-secret-file', secret]

async function deliveries (node: NodeProc): Promise<{ url: string, deliveries: Delivery[] }> {
  return await node.get('/v1/webhook/deliveries')
}

/** Waits until the delivery `id` reached a final status; throws on `failed` unless it is expected. */
async function settled (node: NodeProc, id: string, expectFailure = false): Promise<Delivery> {
  const d = await waitFor(`delivery ${id} to settle`, async () => (await deliveries(node)).deliveries.find((x) => x.id === id && ['announced', 'failed', 'superseded'].includes(x.status)), 120_000, 200)
  if (d.status === 'failed' && !expectFailure) throw new Error(`delivery ${id} failed: ${d.detail ?? ''}`)
  return d
}

describe('the push webhook (real devq-node processes, git daemon as the forge)', () => {
  it('builds a signed GitHub push on another peer, from a mirror the origin fetched, and serves no control API on its port', async () => {
    const secret = await secretFile()
    const { clone, commit } = await forge()
    const cluster = await fx.grid(2, (i) => i === 0 ? ['--slots', '0', ...hookArgs(secret)] : ['--slots', '1'])
    const [a, b] = cluster.nodes
    await waitMeshed(cluster.nodes)
    const { url } = await deliveries(a!)
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/hooks\/push$/)
    expect(await deliveries(b!)).toEqual({ url: null, queue: { pending: 0, running: 0 }, deliveries: [] })

    const body = githubBody(clone, 'refs/heads/main', commit)
    const answer = await deliver(url, githubHeaders(body), body)
    expect(answer).toMatchObject({ status: 202, body: { status: 'queued', delivery: expect.any(String) } })
    const d = await settled(a!, answer.body!.delivery!)
    expect(d).toMatchObject({ status: 'announced', forge: 'github', repository: clone, ref: 'refs/heads/main', commit })

    const jobs = await waitRun(a!, d.run!)
    const job = jobs.get('hello')!
    expect(job.status, JSON.stringify(job.attempts)).toBe('succeeded')
    expect(job.result!.by).toBe(b!.peerId)
    expect((await a!.get<BuildJob & { ref: string, commit: string }>(`/v1/jobs/${job.id}`))).toMatchObject({ ref: 'refs/heads/main', commit })
    const out = await mkdtemp(join(await fx.tempDir('pulled'), 'out-'))
    const [file] = (await a!.post<{ files: { path: string }[] }>('/v1/pull', { job: job.id, out })).files
    expect(await readFile(file!.path, 'utf8')).toBe(`built ${commit}\n`)
    // The origin keeps one bare mirror for the forge repository.
    expect((await readdir(join(a!.dataDir, 'forge'))).filter((n) => n.endsWith('.git'))).toHaveLength(1)

    // The webhook's port answers nothing but the webhook, even with the API's token.
    const token = (await readFile(join(a!.dataDir, 'api.token'), 'utf8')).trim()
    const base = url.replace(/\/hooks\/push$/, '')
    for (const path of ['/v1/status', '/v1/jobs', '/v1/webhook/deliveries']) {
      const res = await fetch(base + path, { headers: { authorization: `Bearer ${token}` } })
      expect(res.status, path).toBe(404)
      expect(await res.json()).toMatchObject({ name: 'WebhookError', data: { detail: 'no_route' } })
    }
  }, 300_000)

  it('refuses unsigned, wrongly signed, oversized and malformed deliveries and ignores pings, tags and deletions, announcing nothing for them', async () => {
    const secret = await secretFile()
    const { clone, commit } = await forge()
    const [a] = (await fx.grid(1, () => ['--slots', '0', ...hookArgs(secret)])).nodes
    const { url } = await deliveries(a!)
    const push = githubBody(clone, 'refs/heads/main', commit)
    const { 'x-hub-signature-256': _unsigned, ...unsigned } = githubHeaders(push)

    const refused = [
      await deliver(url, unsigned, push),
      await deliver(url, githubHeaders(push, 'push', 'another-secret-of-some-length'), push),
      await deliver(url, { ...githubHeaders(push), 'x-hub-signature-256': `sha256=${hmac(push + ' ')}` }, push),
      await deliver(url, { 'x-gitea-event': 'push', 'x-gitea-signature': hmac(push, 'wrong-secret-0123456789') }, push),
      await deliver(url, { 'x-gitlab-event': 'Push Hook', 'x-gitlab-token': 'wrong-token-0123456789' }, push)
    ]
    for (const r of refused) expect(r).toMatchObject({ status: 401, body: { name: 'WebhookError', data: { detail: 'signature' } } })

    const big = githubBody(clone, 'refs/heads/main', commit, { padding: 'x'.repeat(1024 * 1024) })
    expect(await deliver(url, githubHeaders(big), big)).toMatchObject({ status: 413, body: { name: 'WebhookError', data: { detail: 'too_large' } } })
    expect(await deliver(url, { 'user-agent': 'curl' }, push)).toMatchObject({ status: 400, body: { data: { detail: 'event' } } })

    const noAfter = JSON.stringify({ ref: 'refs/heads/main', repository: { clone_url: clone } })
    expect(await deliver(url, githubHeaders(noAfter), noAfter)).toMatchObject({ status: 400, body: { data: { detail: 'payload', field: 'after' } } })
    const local = githubBody('file:///etc', 'refs/heads/main', commit)
    expect(await deliver(url, githubHeaders(local), local)).toMatchObject({ status: 400, body: { data: { field: 'repository.clone_url' } } })

    const ping = JSON.stringify({ zen: 'Keep it logically awesome.', hook_id: 1 })
    const tag = githubBody(clone, 'refs/tags/v1.0', commit)
    const deletion = githubBody(clone, 'refs/heads/old', ZERO, { deleted: true })
    for (const [body, event] of [[ping, 'ping'], [tag, 'push'], [deletion, 'push']] as const) {
      const r = await deliver(url, githubHeaders(body, event), body)
      expect(r.status, event).toBe(204)
      expect(r.ignored).not.toBeNull()
    }

    // One good push after all that: the only run the node announced is its own.
    const ok = await deliver(url, githubHeaders(push), push)
    expect(ok.status).toBe(202)
    const d = await settled(a!, ok.body!.delivery!)
    const jobs = await a!.get<{ id: string }[]>('/v1/jobs')
    expect(jobs.map((j) => j.id)).toEqual(d.jobs)
    const list = (await deliveries(a!)).deliveries
    expect(list.filter((x) => x.status === 'refused').map((x) => x.answer)).toEqual([400, 400, 400, 413, 401, 401, 401, 401, 401])
    expect(list.filter((x) => x.status === 'ignored')).toHaveLength(3)
  }, 180_000)

  it('announces Gitea and GitLab pushes of the branch they name, and records a fetch that fails without the URL\'s credentials', async () => {
    const secret = await secretFile()
    const { work, bare, clone } = await forge()
    const [a] = (await fx.grid(1, () => ['--slots', '0', ...hookArgs(secret)])).nodes
    const { url } = await deliveries(a!)

    await writeFile(join(work, 'README'), 'second\n')
    const second = await commitAll(work, 'second')
    await git(work, ['push', '-q', bare, 'main'])
    const gitea = JSON.stringify({ ref: 'refs/heads/main', before: ZERO, after: second, compare_url: '', commits: [], repository: { id: 3, full_name: 'team/app', clone_url: clone }, pusher: { login: 'dev' } })
    const g = await deliver(url, { 'x-gitea-event': 'push', 'x-github-event': 'push', 'x-gitea-delivery': randomUUID(), 'x-gitea-signature': hmac(gitea) }, gitea)
    expect(g.status).toBe(202)
    const gd = await settled(a!, g.body!.delivery!)
    expect(gd).toMatchObject({ status: 'announced', forge: 'gitea', commit: second, ref: 'refs/heads/main' })

    await git(work, ['checkout', '-q', '-b', 'feature'])
    await writeFile(join(work, 'README'), 'feature\n')
    const third = await commitAll(work, 'feature')
    await git(work, ['push', '-q', bare, 'feature'])
    const gitlab = JSON.stringify({ object_kind: 'push', event_name: 'push', ref: 'refs/heads/feature', before: ZERO, after: third, checkout_sha: third, project: { id: 9, path_with_namespace: 'g/app', git_http_url: clone, git_ssh_url: 'git@gitlab.lan:g/app.git' }, commits: [] })
    const l = await deliver(url, { 'x-gitlab-event': 'Push Hook', 'x-gitlab-token': SECRET, 'x-gitlab-event-uuid': randomUUID() }, gitlab)
    expect(l.status).toBe(202)
    const ld = await settled(a!, l.body!.delivery!)
    expect(ld).toMatchObject({ status: 'announced', forge: 'gitlab', commit: third, ref: 'refs/heads/feature' })
    const run = await a!.get<{ jobs: { ref: string, commit: string }[] }>(`/v1/runs/${ld.run!}`)
    expect(run.jobs).toMatchObject([{ ref: 'refs/heads/feature', commit: third }])

    const closed = `http://bot:s3cr3t-pass@127.0.0.1:${await freePort()}/team/app.git`
    const broken = githubBody(closed, 'refs/heads/main', second)
    const f = await deliver(url, githubHeaders(broken), broken)
    expect(f.status).toBe(202)
    const fd = await settled(a!, f.body!.delivery!, true)
    expect(fd.status).toBe('failed')
    expect(fd.repository).toMatch(/^http:\/\/\*\*\*@127\.0\.0\.1:\d+\/team\/app\.git$/)
    expect(fd.detail).toContain(fd.repository)
    expect(JSON.stringify(fd)).not.toContain('s3cr3t')
    expect(a!.log()).toContain('pushed commit not built')
    expect(a!.log()).not.toContain('s3cr3t')
  }, 180_000)

  it('will not start with a webhook but no secret file, or a secret file others may read; a secret file alone is a warning', async () => {
    const dir = await fx.tempDir('nosecret')
    await expect(startNode(dir, ['--webhook-listen', '127.0.0.1:0'])).rejects.toThrow(/--webhook-listen needs --webhook-secret-file too/)
    // The same words as devq config set refuses such a file with.
    await writeFile(join(dir, 'config.yml'), 'webhook-listen: 127.0.0.1:0\n')
    await expect(startNode(dir)).rejects.toThrow(`${join(dir, 'config.yml')}:1:17: webhook-listen needs webhook-secret-file too: a file (chmod 600)`)
    const open = join(await fx.tempDir('open'), 'webhook.secret')
    await writeFile(open, SECRET, { mode: 0o644 })
    await expect(startNode(dir, hookArgs(open))).rejects.toThrow(/chmod 600/)
    const alone = await startNode(await fx.tempDir('alone'), ['--webhook-secret-file', await secretFile()])
    try {
      await waitFor('the warning in the log', async () => alone.log().includes('--webhook-secret-file is ignored without --webhook-listen: the push webhook is off'), 10_000)
      expect((await deliveries(alone)).url).toBeNull()
    } finally {
      await alone.stop()
    }
  }, 120_000)
})
