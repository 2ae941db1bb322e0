/** How the dashboard writes times, sizes and ids. */

/** `1.2 s`, `3 min 4 s`, `2 h 5 min`. */
export function duration (ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))} ms`
  const s = ms / 1000
  if (s < 60) return `${s.toFixed(1)} s`
  const m = Math.floor(s / 60)
  if (m < 60) return `${m} min ${Math.floor(s % 60)} s`
  return `${Math.floor(m / 60)} h ${m % 60} min`
}

/** `12 s ago`, `3 min ago`, or a date for anything older than a day. */
export function ago (wallMs: number, now: number = Date.now()): string {
  const d = now - wallMs
  if (d < 5000) return 'just now'
  if (d < 86_400_000) return `${duration(d).replace(/ \d+ s$/, '').replace(/\.\d s$/, ' s')} ago`
  return new Date(wallMs).toLocaleDateString()
}

/** `512 B`, `1.5 KiB`, `3.2 MiB`. */
export function bytes (n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB']
  let v = n
  let i = 0
  while (v >= 1024 && i < units.length - 1) { v /= 1024; i++ }
  return i === 0 ? `${v} B` : `${v.toFixed(1)} ${units[i]}`
}

/** The first 8 characters of an id or hash, as the CLI prints them. */
export const short = (id: string): string => id.slice(0, 8)

/** A peer id's tail, which differs between peers (their heads are all `12D3KooW`). */
export const peerName = (id: string): string => (id.length > 12 ? `…${id.slice(-8)}` : id)

/** A branch from a ref: `refs/heads/main` is `main`. */
export const branchOf = (ref: string): string => ref.replace(/^refs\/(heads|tags)\//, '')

/** The repository's name to show: its directory name when known, else the repo id's head. */
export const repoLabel = (repo: string, name?: string): string => name ?? short(repo)
