/** Views as the node answers them, for the main process's unit tests. */
import type { PeerRow, RunDetail, RunLine, StatusView } from '../src/renderer/api/types.ts'

export const SELF = '12D3KooWSelf'
export const OTHER = '12D3KooWOther'

export function peer (over: Partial<PeerRow> = {}): PeerRow {
  return { id: OTHER, self: false, state: 'idle', jobs: [], ...over }
}

export function status (over: { peer?: Partial<PeerRow>, peers?: PeerRow[], queued?: number, waiting?: number } = {}): StatusView {
  return {
    peer: peer({ id: SELF, self: true, ...over.peer }),
    team: { name: 'acme', mode: 'open' },
    peers: over.peers ?? [],
    queue: Array.from({ length: over.queued ?? 0 }, (_, i) => ({
      position: i + 1, id: `job${i}`, repo: 'r'.repeat(64), pipelineJob: 'test', priority: 'normal' as const, attempt: 1, waitMs: 0, typicalMs: null, startsInMs: null
    })),
    waiting: over.waiting ?? 0,
    counts: {}
  }
}

let n = 0
export function runLine (over: Partial<RunLine> = {}): RunLine {
  n += 1
  return {
    run: `run${n}`.padEnd(16, '0'),
    repo: 'a'.repeat(64),
    repoName: 'app',
    ref: 'refs/heads/main',
    commit: 'c'.repeat(40),
    subject: 'Fix the parser',
    author: 'Ada Lovelace',
    status: 'succeeded',
    jobs: { total: 2, succeeded: 2, failed: 0, cancelled: 0, skipped: 0, active: 0 },
    origin: SELF,
    announcedAt: 1_000 + n,
    ...over
  }
}

export function runDetail (line: RunLine, jobs: { id: string, pipelineJob: string, status: RunDetail['jobs'][number]['status'] }[] = []): RunDetail {
  return {
    kind: 'run',
    run: line,
    jobs: jobs.map((j) => ({
      ...j, repo: line.repo, ref: line.ref, commit: line.commit, run: line.run, attempt: 1, origin: line.origin, mine: line.origin === SELF, flaky: false, announcedAt: line.announcedAt, needs: []
    }))
  }
}
