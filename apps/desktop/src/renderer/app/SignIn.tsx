/** What a browser without a session sees: how to get one. */
export function SignIn ({ problem }: { problem?: string | undefined }): React.JSX.Element {
  return (
    <main className="sign-in" aria-labelledby="sign-in-title">
      <h1 id="sign-in-title">Sign in to DevQ</h1>
      {problem !== undefined && <p className="failure" role="alert">That sign-in link did not work: {problem}</p>}
      <p>This dashboard shows the build grid of the DevQ node that serves it. To sign this browser in, run on that node's machine:</p>
      <pre><code>devq open</code></pre>
      <p>It opens (or prints) a one-time link, valid for a minute, that signs this browser in.</p>
    </main>
  )
}
