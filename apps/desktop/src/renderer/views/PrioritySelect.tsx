/** A job's priority as a select that changes it on the node. */
import type { Priority } from '../api/types.ts'
import { useAction, useDevqContext } from '../app/context.tsx'

const PRIORITIES: Priority[] = ['critical', 'high', 'normal', 'low']

export function PrioritySelect ({ job, priority, label }: { job: string, priority: Priority, label?: string }): React.JSX.Element {
  const { client } = useDevqContext()
  const act = useAction()
  return (
    <select aria-label={label} value={priority} onChange={(e) => { void act('changing the priority', async () => { await client.setPriority(job, e.target.value as Priority) }) }}>
      {PRIORITIES.map((p) => <option key={p} value={p}>{p}</option>)}
    </select>
  )
}
