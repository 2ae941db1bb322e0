/** This peer's lending (share mode, slots, labels) and its team: members, roles, a join token on demand. */
import { useEffect, useState } from 'react'
import type { ShareMode } from '../api/types.ts'
import { useAction, useDevq, useDevqContext } from '../app/context.tsx'
import { peerName } from '../app/format.ts'

const MODES: { mode: ShareMode, text: string }[] = [
  { mode: 'off', text: 'off: run nothing for the team' },
  { mode: 'idle', text: 'idle: only while nobody uses this machine' },
  { mode: 'shared', text: 'shared: always, at low priority' },
  { mode: 'dedicated', text: 'dedicated: always, at full speed' }
]

function Share (): React.JSX.Element {
  const { client, store } = useDevqContext()
  const act = useAction()
  const share = useDevq((s) => s.share)
  useEffect(() => { client.share().then((v) => { store.getState().shareLoaded(v) }, () => {}) }, [client, store])
  return (
    <fieldset>
      <legend>Share mode</legend>
      {MODES.map((m) => (
        <label key={m.mode} className="radio">
          <input type="radio" name="share-mode" value={m.mode} checked={share?.mode === m.mode}
            onChange={() => { void act('changing the share mode', async () => { store.getState().shareLoaded(await client.setShareMode(m.mode)) }) }} />
          {m.text}
        </label>
      ))}
      {share !== undefined && <p className="muted">{share.userActive ? 'Someone is using this machine.' : 'Nobody is using this machine.'}</p>}
    </fieldset>
  )
}

function Capacity (): React.JSX.Element {
  const { client, store } = useDevqContext()
  const act = useAction()
  const settings = useDevq((s) => s.settings)
  const [slots, setSlots] = useState('')
  const [labels, setLabels] = useState('')
  useEffect(() => {
    client.settings().then((v) => { store.getState().settingsLoaded(v); setSlots(String(v.slots)); setLabels(v.labels.join(', ')) }, () => {})
  }, [client, store])
  const save = (): void => {
    void act('saving the settings', async () => {
      const v = await client.setSettings({ slots: Number(slots), labels: labels.split(',').map((l) => l.trim()).filter((l) => l !== '') })
      store.getState().settingsLoaded(v)
    })
  }
  const kept = settings?.kept
  return (
    <form onSubmit={(e) => { e.preventDefault(); save() }} aria-label="capacity">
      <fieldset>
        <legend>Capacity</legend>
        <label>slots <input type="number" min={0} max={256} value={slots} onChange={(e) => { setSlots(e.target.value) }} /></label>
        <label>labels <input type="text" value={labels} onChange={(e) => { setLabels(e.target.value) }} placeholder="linux, x64" /></label>
        <button type="submit">Save</button>
        {kept !== undefined && ('file' in kept ? <p className="muted">Kept in {kept.file}.</p> : <p className="failure">Applied, but not kept: {kept.error}</p>)}
      </fieldset>
    </form>
  )
}

function Team (): React.JSX.Element {
  const { client, store } = useDevqContext()
  const act = useAction()
  const team = useDevq((s) => s.team)
  const [token, setToken] = useState<string | undefined>(undefined)
  useEffect(() => { client.team().then((v) => { store.getState().teamLoaded(v) }, () => {}) }, [client, store])
  if (team === undefined) return <p className="muted">Loading the team…</p>
  return (
    <fieldset>
      <legend>Team {team.name} ({team.mode})</legend>
      <table aria-label="members">
        <thead><tr><th scope="col">peer</th><th scope="col">role</th></tr></thead>
        <tbody>{team.members.map((m) => <tr key={m.peer}><td title={m.peer}>{peerName(m.peer)}{m.self ? ' (this peer)' : ''}</td><td>{m.role}</td></tr>)}</tbody>
      </table>
      {team.members.length === 0 && <p className="muted">An open team: any peer with the team key may join.</p>}
      {token === undefined
        ? <button type="button" onClick={() => { void act('making a join token', async () => { setToken(await client.joinToken()) }) }}>Show a join token</button>
        : <div><p>Give this to a new member's machine (<code>devq team join</code>); it carries the team key:</p><textarea readOnly value={token} aria-label="join token" rows={3} /></div>}
    </fieldset>
  )
}

export function SettingsView (): React.JSX.Element {
  return (
    <section aria-labelledby="settings-title">
      <h1 id="settings-title">Settings</h1>
      <Share />
      <Capacity />
      <Team />
    </section>
  )
}
