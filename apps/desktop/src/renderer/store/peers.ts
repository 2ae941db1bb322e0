/** The grid: every peer this node knows, the queue in schedule order, and the team. */
import type { StateCreator } from 'zustand'
import type { PeerRow, PeerSummary } from '../api/types.ts'
import type { DevqState, PeersSlice } from './state.ts'


/** A peer row updated by what a stream summary says; what only the status view has is kept. */
export function mergePeer (row: PeerRow | undefined, peer: PeerSummary): PeerRow {
  return {
    ...row,
    id: peer.id,
    self: peer.self,
    state: peer.status,
    jobs: peer.status === 'offline' ? [] : (row?.jobs ?? []),
    ...(peer.status === 'offline' && row?.slots === undefined ? {} : { slots: { used: peer.slots - peer.freeSlots, total: peer.slots } }),
    labels: peer.labels,
    version: peer.version
  }
}

export const createPeersSlice: StateCreator<DevqState, [], [], PeersSlice> = (set) => ({
  peers: {},
  selfId: undefined,
  queue: [],
  waiting: 0,
  teamName: '',
  statusAt: 0,
  statusLoaded: (view) => {
    const peers: Record<string, PeerRow> = {}
    for (const p of [view.peer, ...view.peers]) peers[p.id] = p
    set({ peers, selfId: view.peer.id, queue: view.queue, waiting: view.waiting, teamName: view.team.name, statusAt: Date.now() })
  },
  peerChanged: (change, peer) => {
    set((s) => ({ peers: { ...s.peers, [peer.id]: mergePeer(s.peers[peer.id], change === 'left' ? { ...peer, status: 'offline' } : peer) } }))
  }
})

const ORDER: Record<PeerRow['state'], number> = { busy: 0, idle: 1, draining: 2, offline: 3 }

/** Peers as the grid shows them: this peer first, then busy, idle, draining, offline, each by id. */
export function gridOrder (peers: Record<string, PeerRow>): PeerRow[] {
  return Object.values(peers).sort((a, b) => Number(b.self) - Number(a.self) || ORDER[a.state] - ORDER[b.state] || a.id.localeCompare(b.id))
}
