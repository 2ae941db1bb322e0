/** Shared fixtures of the p2p tests: real ledgers in temp dirs, real meshes on 127.0.0.1, polling. */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  createEvent, createFold, createInlineVerifier, createLedger, silentLogger, systemClock,
  type BodyOf, type DecodedEvent, type Fold, type Ledger, type PresenceInfo, type Signer
} from '@devq/core'
import { createMesh, generateTeamKey, loadOrCreatePeerKey, type Mesh, type MeshInit, type PeerKey, type TeamKey } from '../src/index.ts'

export const TEAM = 'test-team'

/** A fresh temp directory. */
export async function tempDir (prefix = 'devq-p2p-'): Promise<string> {
  return await mkdtemp(join(tmpdir(), prefix))
}

/** Polls `cond` until it holds; throws naming `what` after `timeoutMs`. */
export async function waitFor (what: string, cond: () => boolean | Promise<boolean>, timeoutMs = 30_000, intervalMs = 50): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    if (await cond()) return
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, intervalMs))
  }
}

/** A job announcement body; `n` makes it distinct. */
export function announceBody (n: number): BodyOf<'job.announced'> {
  return {
    repo: `repo-${n}`, ref: 'refs/heads/main', commit: 'c'.repeat(40), pipelineJob: 'build', priority: 'normal', labels: ['linux'],
    retry: { max: 1, when: ['runner_lost'] }, timeoutMs: 60_000, cache: true, sensitive: false, source: { addrs: [] }
  }
}

/** `n` signed job announcements by `signer`, seq 1..n, built without a ledger (so without fsync per event). */
export async function chainEvents (signer: Signer, n: number): Promise<DecodedEvent[]> {
  const out: DecodedEvent[] = []
  let prev: string | null = null
  for (let seq = 1; seq <= n; seq++) {
    const ev: DecodedEvent = await createEvent(signer, { seq, prev, lamport: seq, time: 1_700_000_000_000 }, 'job.announced', announceBody(counter++))
    out.push(ev)
    prev = ev.id
  }
  return out
}

/** A valid heartbeat of `peer`. */
export function presenceOf (peer: string, time: number, version = 'test'): PresenceInfo {
  return {
    peer, status: 'idle', slots: 2, freeSlots: 2, cores: 4, load: 0.1, labels: ['linux'], shareMode: 'dedicated',
    userActive: false, recentFailures: 0, warmWorkspaces: [], version, time
  }
}

/** One test peer: its own data dir, key, ledger and fold, and a mesh over them. */
export interface TestPeer {
  dir: string
  key: PeerKey
  ledger: Ledger
  fold: Fold
  mesh: Mesh
  /** Appends `n` job announcements by this peer. */
  announce(n: number): Promise<DecodedEvent[]>
  /** Stops the mesh, closes the ledger, removes the data dir. Idempotent. */
  close(): Promise<void>
}

/** Options of `createPeer`: mesh options plus ledger membership. */
export type PeerOptions = Partial<Omit<MeshInit, 'privateKey'>> & { ledgerIsMember?: (peerId: string) => boolean, start?: boolean }

let counter = 0

/** Creates a peer (started unless `start: false`). Its ledger is real LevelDB on disk. */
export async function createPeer (teamKey: TeamKey, opts: PeerOptions = {}): Promise<TestPeer> {
  const dir = await tempDir()
  const key = await loadOrCreatePeerKey(join(dir, 'data'))
  const fold = createFold()
  const ledger = createLedger({ fold, verifier: createInlineVerifier(), clock: systemClock, logger: silentLogger }, { path: join(dir, 'ledger'), isMember: opts.ledgerIsMember })
  await ledger.open()
  const { ledgerIsMember: _l, start = true, ...meshOpts } = opts
  const mesh = createMesh({ ledger, logger: silentLogger, clock: systemClock }, { team: TEAM, syncIntervalMs: 500, ...meshOpts, teamKey, privateKey: key.privateKey })
  let closed: Promise<void> | undefined
  const peer: TestPeer = {
    dir, key, ledger, fold, mesh,
    async announce (n) {
      const out: DecodedEvent[] = []
      for (let i = 0; i < n; i++) out.push(await ledger.append(key.signer, 'job.announced', announceBody(counter++)))
      return out
    },
    async close () {
      closed ??= (async () => {
        await mesh.stop()
        await ledger.close()
        await rm(dir, { recursive: true, force: true })
      })()
      await closed
    }
  }
  if (start) await mesh.start()
  return peer
}

/**
 * Starts `n` peers in a full mesh: each bootstraps to every peer started before it.
 * `opts(i)` gives per-peer options.
 */
export async function createCluster (n: number, teamKey = generateTeamKey(), opts: (i: number) => PeerOptions = () => ({})): Promise<TestPeer[]> {
  const peers: TestPeer[] = []
  try {
    for (let i = 0; i < n; i++) {
      const bootstrap = peers.flatMap((p) => p.mesh.addresses().slice(0, 1))
      peers.push(await createPeer(teamKey, { bootstrap, ...opts(i) }))
    }
  } catch (err) {
    await closeAll(peers)
    throw err
  }
  return peers
}

/** Closes every peer, even if some fail. */
export async function closeAll (peers: readonly TestPeer[]): Promise<void> {
  await Promise.allSettled(peers.map(async (p) => { await p.close() }))
}

/** Whether every peer holds the same events with the same fold state. */
export function converged (peers: readonly TestPeer[]): boolean {
  const first = peers[0]
  if (first === undefined) return true
  const vv = JSON.stringify(sorted(first.ledger.versionVector()))
  const hash = first.fold.stateHash()
  return peers.every((p) => JSON.stringify(sorted(p.ledger.versionVector())) === vv && p.fold.stateHash() === hash)
}

/** Whether every peer is connected to every other. */
export function fullyConnected (peers: readonly TestPeer[]): boolean {
  return peers.every((p) => peers.every((q) => p === q || p.mesh.connectedPeers().includes(q.mesh.peerId)))
}

function sorted (vv: Record<string, number>): Array<[string, number]> {
  return Object.entries(vv).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
}
