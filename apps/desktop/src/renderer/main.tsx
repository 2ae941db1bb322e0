/**
 * The dashboard's entry. In the desktop app the preload provides `window.devq` (the same client
 * interface over IPC); in a browser the page signs in with the one-time code `devq open` put in
 * the URL's fragment, then talks to the node that served it.
 */
import { StrictMode } from 'react'
import { createRoot } from 'react-dom/client'
import type { DevqClient } from './api/client.ts'
import { createHttpClient, signedIn, signIn } from './api/http-client.ts'
import { App } from './app/App.tsx'
import { DevqContext } from './app/context.tsx'
import { SignIn } from './app/SignIn.tsx'
import { startFeed } from './store/feed.ts'
import { createDevqStore } from './store/store.ts'
import './app/theme.css'

declare global {
  interface Window { devq?: DevqClient }
}

/** Takes `#code=...` out of the address (it is spent once used) and exchanges it for the session cookie. */
async function browserSession (): Promise<{ ok: boolean, problem?: string }> {
  const m = /(?:^#|&)code=([0-9a-f]{16,128})/.exec(location.hash)
  if (m !== null) {
    history.replaceState(null, '', `${location.pathname}${location.search}#/grid`)
    try {
      await signIn(m[1]!)
      return { ok: true }
    } catch (err) {
      return { ok: false, problem: (err as Error).message }
    }
  }
  return { ok: await signedIn() }
}

async function main (): Promise<void> {
  const root = createRoot(document.getElementById('root')!)
  let client = window.devq
  if (client === undefined) {
    const session = await browserSession()
    if (!session.ok) {
      root.render(<StrictMode><SignIn problem={session.problem} /></StrictMode>)
      return
    }
    client = createHttpClient()
  }
  const store = createDevqStore()
  const feed = startFeed({ client, store })
  root.render(<StrictMode><DevqContext value={{ client, store, feed }}><App /></DevqContext></StrictMode>)
}

void main()
