import { Command, Option } from 'commander'
import type { FastifyInstance } from 'fastify'
import { ShareMode } from '@devq/core'
import { checkSettingsTogether, resolveSettings, type NodeConfig, type RawConfig } from './config.ts'
import { startApi } from './api.ts'
import { resolveDashboardDir } from './api-dashboard.ts'
import { createProcessLogger } from './logger.ts'
import { startDevqNode, type DevqNode } from './node.ts'
import { createShareKeeper } from './share-keeper.ts'
import { createConfigKeeper } from './config-keeper.ts'
import { apiSocketIn, loadOrCreateToken, removeRuntime, writeRuntime } from './runtime.ts'
import { readWebhookSecret, startWebhook } from './webhook.ts'
import { startHookQueue } from './hooks/drain.ts'
import { DEVQ_VERSION } from './version.ts'

/** A node with its control API, as the daemon runs it. */
export interface RunningDaemon {
  node: DevqNode
  api: FastifyInstance
  url: string
  /** Where the push webhook listens, when it is on. */
  webhook?: string
  stop(): Promise<void>
}

/**
 * Starts a node and its API, and records how to reach it (and the config file it read, if any) in
 * its runtime dir. `warnings` are resolveSettings' about the config; without them the config is
 * checked here (one made in code).
 */
export async function startDaemon (config: NodeConfig, init: { configFile?: string, warnings?: readonly string[] } = {}): Promise<RunningDaemon> {
  const warnings = init.warnings ?? checkSettingsTogether(config)
  const logger = createProcessLogger(config.logLevel)
  for (const warning of warnings) logger.warn({ component: 'config' }, warning)
  // Checked before the node starts, so a bad secret file (or dashboard dir) stops nothing half-started.
  const hook = config.webhookListen === undefined ? undefined : { listen: config.webhookListen, secret: await readWebhookSecret(config.webhookSecretFile) }
  const dashboardDir = config.dashboardDir === undefined ? undefined : resolveDashboardDir(config.dashboardDir)
  const node = await startDevqNode(config, logger)
  const token = await loadOrCreateToken(config.dataDir)
  const webhook = hook === undefined ? undefined : await startWebhook({ node, logger: logger.child({ component: 'webhook', peer_id: node.peerId }) }, hook)
  // One keeper for every change the node keeps, so no write of the file overwrites another.
  const configKeeper = createConfigKeeper({ logger }, init.configFile === undefined ? {} : { configFile: init.configFile })
  const shareKeeper = createShareKeeper({ sharing: node.sharing, keeper: configKeeper })
  const { app, url } = await startApi({ node, logger: logger.child({ component: 'api' }), shareKeeper, configKeeper, ...(webhook === undefined ? {} : { webhook }) }, {
    token, host: config.apiHost, port: config.apiPort, allowedHosts: config.apiAllowHosts, allowedOrigins: config.apiAllowOrigins, testHooks: config.testHooks,
    socketPath: apiSocketIn(config.runtimeDir),
    ...(dashboardDir === undefined ? {} : { dashboardDir }),
    // Test-only: routes and answers checked against the route table (api-check.ts).
    check: process.env.DEVQ_API_CHECK === '1'
  })
  await writeRuntime(config, { pid: process.pid, peerId: node.peerId, api: url, addresses: node.mesh.addresses(), startedAt: Date.now(), ...(init.configFile === undefined ? {} : { configFile: init.configFile }) })
  // Commits the git hooks queued while no node ran, now that the API and the repositories are up.
  const hookQueue = startHookQueue({ runs: node.runs, logger: logger.child({ component: 'hook-queue', peer_id: node.peerId }) }, { dataDir: config.dataDir })
  let stopping: Promise<void> | undefined
  const stop = async (): Promise<void> => {
    stopping ??= (async () => {
      shareKeeper.close()
      await webhook?.close()
      await hookQueue.close()
      await app.close()
      await node.stop()
      await removeRuntime(config)
    })()
    await stopping
  }
  return { node, api: app, url, ...(webhook === undefined ? {} : { webhook: webhook.url }), stop }
}

/** Flags of devq-node; each can also come from a DEVQ_* environment variable (see config.ts). */
export function daemonCommand (): Command {
  return new Command('devq-node')
    .description('Run a DevQ node: join the team mesh, bid for builds, run them, serve the control API')
    .version(DEVQ_VERSION)
    .option('--data-dir <dir>', 'data directory (peer key, ledger, team file, API token); with it, everything lives in it')
    .option('--config <file>', 'YAML config file (default: config.yml in the config dir, or in --data-dir)')
    .option('--listen <addrs>', 'comma-separated multiaddrs to listen on')
    .option('--announce <addrs>', 'comma-separated multiaddrs to announce')
    .option('--bootstrap <addrs>', 'comma-separated multiaddrs (with /p2p/) to dial')
    .option('--mdns', 'discover peers on the LAN by multicast DNS')
    .option('--slots <n>', 'concurrent jobs this node runs')
    .option('--labels <labels>', 'comma-separated labels this node offers')
    .addOption(new Option('--share-mode <mode>', 'how this machine is lent').choices(ShareMode.options))
    .option('--idle-after-s <s>', 'seconds without input after which the user of an idle or shared peer counts as away')
    .option('--idle-load <load>', '1-minute load average per core at or above which a headless machine counts as in use')
    .option('--api-port <port>', 'control API port on 127.0.0.1 (0 picks one)')
    .option('--api-allow-hosts <hosts>', 'comma-separated Host names besides loopback the API answers to (name or name:port)')
    .option('--api-allow-origins <origins>', 'comma-separated browser origins besides the node\'s own that may call the API')
    .option('--dashboard-dir <dir>', 'the built web dashboard to serve at / (default: apps/desktop/dist/renderer of this install)')
    .option('--webhook-listen <host:port>', 'serve the push webhook for a git forge there (may be a LAN address; off by default)')
    .option('--webhook-secret-file <path>', 'file (0600) holding the webhook\'s shared secret')
    .option('--log-level <level>', 'fatal, error, warn, info, debug, trace or silent')
    .option('--lease-ms <ms>', 'ms without presence after which a runner loses its attempt')
    .addOption(new Option('--sandbox <mode>', 'bubblewrap for steps: auto, on (required) or off').choices(['auto', 'on', 'off']))
    .option('--workspace-budget-mb <mib>', 'MiB the incremental workspaces may keep')
    .option('--artifact-budget-mb <mib>', 'MiB of artifacts this peer keeps')
    .option('--log-cap-mb <mib>', 'MiB one attempt\'s log may hold')
    .option('--step-max-processes <n>', 'processes one step may have at once')
    .option('--step-max-memory-mb <mib>', 'MiB of memory one step may use')
    .option('--rebuild-ledger', 'move the ledger store aside at start and refill it from peers (when it cannot be read back)')
    .option('--test-hooks', 'test only: serve the fault routes /v1/test/block and /v1/test/unblock')
    .option('--fault-drop <fraction>', 'test only: drop this fraction of incoming gossip')
    .option('--fault-duplicate <fraction>', 'test only: duplicate this fraction of incoming gossip')
    .option('--fault-delay-ms <ms>', 'test only: delay incoming gossip up to this many ms')
    .option('--fault-clock-offset-ms <ms>', 'test only: run with the wall clock this many ms ahead (negative: behind)')
    .option('--fault-clock-step-ms <ms>', 'test only: step the wall clock by this many ms on each SIGUSR2')
}

/** Turns parsed flags into raw config values (gossip faults become one object, clock faults another). */
export function flagsToRaw (opts: Record<string, unknown>): RawConfig {
  const raw: RawConfig = {}
  const keys = ['dataDir', 'listen', 'announce', 'bootstrap', 'mdns', 'slots', 'labels', 'shareMode', 'idleAfterS', 'idleLoad', 'apiPort', 'apiAllowHosts', 'apiAllowOrigins', 'dashboardDir', 'webhookListen', 'webhookSecretFile', 'logLevel', 'leaseMs',
    'sandbox', 'workspaceBudgetMb', 'artifactBudgetMb', 'logCapMb', 'stepMaxProcesses', 'stepMaxMemoryMb', 'testHooks', 'rebuildLedger'] as const
  for (const k of keys) if (opts[k] !== undefined) raw[k] = opts[k]
  if (opts.faultDrop !== undefined || opts.faultDuplicate !== undefined || opts.faultDelayMs !== undefined) {
    raw.faults = { drop: Number(opts.faultDrop ?? 0), duplicate: Number(opts.faultDuplicate ?? 0), delayMs: Number(opts.faultDelayMs ?? 0) }
  }
  if (opts.faultClockOffsetMs !== undefined || opts.faultClockStepMs !== undefined) {
    raw.clockFault = { offsetMs: Number(opts.faultClockOffsetMs ?? 0), stepMs: Number(opts.faultClockStepMs ?? 0) }
  }
  return raw
}

/** What a node says when it is up. */
export interface ReadyInfo {
  event: 'ready'
  peerId: string
  api: string
  addresses: string[]
  dataDir: string
  team: string
  /** Where the push webhook listens, when it is on. */
  webhook?: string
}

function printReady (ready: ReadyInfo): void {
  process.stdout.write(JSON.stringify(ready) + '\n')
}

/**
 * The devq-node process: starts, prints one JSON line `{"event":"ready",...}` on stdout, and stops
 * cleanly on SIGTERM or SIGINT (drains, hands back running attempts, flushes the ledger).
 * `defaults` are the caller's own, below the config file, environment and flags.
 */
export async function runDaemon (argv: string[], defaults: RawConfig = {}, announce: (ready: ReadyInfo) => void = printReady): Promise<void> {
  const cmd = daemonCommand().parse(argv, { from: 'user' })
  const { config, file, warnings } = resolveSettings(flagsToRaw(cmd.opts()), process.env, process.cwd(), { configFile: cmd.opts<{ config?: string }>().config, defaults })
  const daemon = await startDaemon(config, { configFile: file.path, warnings })
  announce({ event: 'ready', peerId: daemon.node.peerId, api: daemon.url, addresses: daemon.node.mesh.addresses(), dataDir: config.dataDir, team: daemon.node.team.name, ...(daemon.webhook === undefined ? {} : { webhook: daemon.webhook }) })
  let signalled = false
  const onSignal = (signal: NodeJS.Signals): void => {
    if (signalled) return
    signalled = true
    daemon.stop().then(() => {
      process.stdout.write(JSON.stringify({ event: 'stopped', signal }) + '\n')
      process.exit(0)
    }, (err: unknown) => {
      process.stderr.write(`devq-node: stop failed: ${(err as Error).message}\n`)
      process.exit(1)
    })
  }
  process.on('SIGTERM', onSignal)
  process.on('SIGINT', onSignal)
}
