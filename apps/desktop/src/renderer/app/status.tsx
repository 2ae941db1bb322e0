/** Status as text plus colour, never colour alone. */
import type { JobStatus, PeerState, RunState } from '../api/types.ts'

export type AnyStatus = JobStatus | PeerState | RunState

/** A status word in its colour; `label` replaces the word for screen readers when given. */
export function StatusBadge ({ status, label }: { status: AnyStatus, label?: string }): React.JSX.Element {
  return <span className={`status status-${status}`} aria-label={label}>{status}</span>
}

/** A small coloured dot for dense graphs, with the status in its accessible name and tooltip. */
export function StatusDot ({ status, name }: { status: AnyStatus, name: string }): React.JSX.Element {
  return <span className={`dot status-${status}`} role="img" aria-label={`${name}: ${status}`} title={`${name}: ${status}`} />
}
