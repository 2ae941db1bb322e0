/**
 * What this peer serves to whom over direct streams, decided from the fold: source only for
 * commits announced in the ledger (from the developer's repository only those this peer announced,
 * so another member's announce cannot open it), artifacts only when some job's result lists them (a sensitive
 * job's only to its origin and trusted peers), logs of known jobs on the same terms.
 */
import { isTrusted, type DecodedEvent, type Fold, type JobChange, type JobState } from '@devq/core'

/** Indexes of the fold that the servers consult; kept current from the ledger's accepted batches. */
export interface AccessIndex {
  /** Feed of the ledger (`ledger.onAccepted`). */
  observe(events: readonly DecodedEvent[], changes: readonly JobChange[]): void
  /** Whether some job of `repo` announced `commit`. */
  announced(repo: string, commit: string): boolean
  /** Whether this peer itself announced `commit` of `repo` (only then is the developer's repository served). */
  announcedHere(repo: string, commit: string): boolean
  /** `true`, or why `peer` may not fetch the artifact `digest`. */
  mayFetchArtifact(peer: string, digest: string): true | string
  /** `true`, or why `peer` may not read the log of `job`. */
  mayReadLog(peer: string, job: string): true | string
  /** Jobs whose result lists `digest`. */
  jobsWithArtifact(digest: string): JobState[]
}

/** Whether `peer` may see what a job produced: anyone for a plain job; origin or trusted for a sensitive one. */
export function mayAccessJob (fold: Fold, peer: string, job: JobState): true | string {
  if (!job.sensitive || peer === job.origin || isTrusted(fold.team(), peer)) return true
  return `job ${job.id.slice(0, 12)} is sensitive: only its origin and trusted peers may have its artifacts and log`
}

/** Builds the access index of the peer `self` over `fold`; feed it every commit with `observe`. */
export function createAccessIndex ({ fold }: { fold: Fold }, { self }: { self: string }): AccessIndex {
  const commits = new Map<string, Set<string>>()
  const own = new Set<string>()
  const artifacts = new Map<string, Set<string>>()
  const addCommit = (repo: string, commit: string): void => {
    let set = commits.get(repo)
    if (set === undefined) commits.set(repo, set = new Set())
    set.add(commit)
  }
  const addResult = (job: JobState): void => {
    for (const a of job.result?.artifacts ?? []) {
      let set = artifacts.get(a.digest)
      if (set === undefined) artifacts.set(a.digest, set = new Set())
      set.add(job.id)
    }
  }
  for (const job of fold.jobs()) {
    addCommit(job.repo, job.commit)
    if (job.origin === self) own.add(`${job.repo}\u0000${job.commit}`)
    addResult(job)
  }
  const jobsWithArtifact = (digest: string): JobState[] =>
    [...artifacts.get(digest) ?? []].flatMap((id) => fold.job(id)?.result?.artifacts.some((a) => a.digest === digest) === true ? [fold.job(id)!] : [])
  return {
    observe (events, changes) {
      for (const e of events) {
        if (e.event.type !== 'job.announced') continue
        addCommit(e.event.body.repo, e.event.body.commit)
        if (e.event.author === self) own.add(`${e.event.body.repo}\u0000${e.event.body.commit}`)
      }
      for (const change of changes) {
        const job = fold.job(change.job)
        if (job?.result !== undefined) addResult(job)
      }
    },
    announced: (repo, commit) => commits.get(repo)?.has(commit) === true,
    announcedHere: (repo, commit) => own.has(`${repo}\u0000${commit}`),
    jobsWithArtifact,
    mayFetchArtifact (peer, digest) {
      const jobs = jobsWithArtifact(digest)
      if (jobs.length === 0) return `no job in the ledger lists ${digest}`
      // Restricted as soon as any sensitive job lists it: anyone can announce a plain job whose
      // result (a cached one, say) names the same digest, and that must not open it to everyone.
      const sensitive = jobs.filter((j) => j.sensitive)
      if (sensitive.length === 0) return true
      for (const job of sensitive) if (mayAccessJob(fold, peer, job) === true) return true
      return mayAccessJob(fold, peer, sensitive[0]!)
    },
    mayReadLog (peer, jobId) {
      const job = fold.job(jobId)
      if (job === undefined) return `no job ${jobId.slice(0, 12)} in the ledger`
      return mayAccessJob(fold, peer, job)
    }
  }
}
