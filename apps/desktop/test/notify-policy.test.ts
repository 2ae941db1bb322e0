/** Notifications: your own runs only, once each, none for runs that ended before the app started. */
import { describe, expect, it } from 'vitest'
import { silentLogger } from '@devq/core'
import type { RunDetail, RunLine } from '../src/renderer/api/types.ts'
import { createNotificationPolicy } from '../src/main/notify-policy.ts'
import { OTHER, SELF, runDetail, runLine } from './main-fixtures.ts'

function policy (details: RunDetail[], authorName = 'Ada Lovelace') {
  const asked: string[] = []
  const byRun = new Map(details.map((d) => [d.run.run, d]))
  const p = createNotificationPolicy({
    detail: async (run) => { asked.push(run); const d = byRun.get(run); if (d === undefined) throw new Error(`no run ${run}`); return d },
    logger: silentLogger
  }, { me: { peerId: SELF, authorName } })
  return { p, asked, byRun }
}
const seen = (r: RunLine) => ({ run: r.run, origin: r.origin, status: r.status })

describe('notification policy', () => {
  it('announces a run of yours once when it ends, opening the run', async () => {
    const run = runLine({ status: 'succeeded' })
    const { p } = policy([runDetail(run)])
    p.baseline([{ ...seen(run), status: 'running' }])
    expect(await p.observe({ ...seen(run), status: 'running' })).toBeUndefined()
    expect(await p.observe(seen(run))).toEqual({ run: run.run, title: 'Build passed: app main', body: 'Fix the parser', hash: `#/runs/${run.run}` })
    // The same end again (a reconnect's replay, a refreshed view): no second notice.
    expect(await p.observe(seen(run))).toBeUndefined()
  })

  it('a run retried after its notice earns one more when it ends again, also one that ended before the app started', async () => {
    const run = runLine({ status: 'failed' })
    const old = runLine({ status: 'failed' })
    const { p, byRun } = policy([runDetail(run, [{ id: 'j-bad', pipelineJob: 'test', status: 'failed' }]), runDetail(old)])
    p.baseline([seen(old)])
    expect(await p.observe(seen(run))).toMatchObject({ title: 'Build failed: app main' })
    for (const r of [run, old]) {
      expect(await p.observe({ ...seen(r), status: 'running' })).toBeUndefined()
      byRun.set(r.run, runDetail({ ...r, status: 'succeeded' }))
      expect(await p.observe({ ...seen(r), status: 'succeeded' })).toMatchObject({ run: r.run, title: 'Build passed: app main' })
      expect(await p.observe({ ...seen(r), status: 'succeeded' })).toBeUndefined()
    }
  })

  it('a failure opens its first failed job', async () => {
    const run = runLine({ status: 'failed' })
    const { p } = policy([runDetail(run, [{ id: 'j-ok', pipelineJob: 'build', status: 'succeeded' }, { id: 'j-bad', pipelineJob: 'test', status: 'failed' }])])
    p.baseline([])
    expect(await p.observe(seen(run))).toMatchObject({ title: 'Build failed: app main', body: 'test failed: Fix the parser', hash: '#/jobs/j-bad' })
  })

  it('nothing for runs that had ended when the app started, nor before the baseline', async () => {
    const old = runLine({ status: 'failed' })
    const early = runLine({ status: 'succeeded' })
    const { p, asked } = policy([runDetail(old), runDetail(early)])
    expect(await p.observe(seen(early))).toBeUndefined()
    p.baseline([seen(old)])
    expect(await p.observe(seen(old))).toBeUndefined()
    expect(await p.observe(seen(early))).toBeUndefined()
    expect(asked).toEqual([])
  })

  it('another peer\'s run is yours only by its commit\'s author', async () => {
    const mine = runLine({ origin: OTHER, author: 'Ada Lovelace', status: 'cancelled' })
    const theirs = runLine({ origin: OTHER, author: 'Grace Hopper', status: 'failed' })
    const { p } = policy([runDetail(mine), runDetail(theirs)])
    p.baseline([])
    expect(await p.observe(seen(theirs))).toBeUndefined()
    expect(await p.observe(seen(mine))).toMatchObject({ title: 'Build cancelled: app main' })
  })

  it('without a git user name, only this peer\'s runs count, and others are not even looked up', async () => {
    const other = runLine({ origin: OTHER, author: 'Ada Lovelace' })
    const { p, asked } = policy([runDetail(other)], '')
    p.baseline([])
    expect(await p.observe(seen(other))).toBeUndefined()
    expect(asked).toEqual([])
  })

  it('two sightings at once make one notice', async () => {
    const run = runLine()
    const { p } = policy([runDetail(run)])
    p.baseline([])
    const notices = await Promise.all([p.observe(seen(run)), p.observe(seen(run))])
    expect(notices.filter((n) => n !== undefined)).toHaveLength(1)
  })

  it('a run retried by the time it is looked up is announced when it ends again', async () => {
    const run = runLine({ status: 'failed' })
    const { p, byRun } = policy([runDetail({ ...run, status: 'running' })])
    p.baseline([])
    expect(await p.observe(seen(run))).toBeUndefined()
    byRun.set(run.run, runDetail(run, [{ id: 'j1', pipelineJob: 'test', status: 'failed' }]))
    expect(await p.observe(seen(run))).toMatchObject({ hash: '#/jobs/j1' })
  })
})
