#!/usr/bin/env node
const argv = process.argv.slice(2)
// The git hooks run this on every commit: it loads only what queueing and one API call need.
if (argv[0] === 'hook' && argv[1] === 'announce') {
  const { runHookAnnounce } = await import('../src/hooks/announce.ts')
  await runHookAnnounce(argv.slice(2))
} else {
  const { runCli } = await import('../src/cli.ts')
  await runCli(argv)
}
