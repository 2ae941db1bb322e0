import { startMesh, waitMeshed } from './mesh-proc.ts'
import { cpuMs, rssMb } from './mesh-stats.ts'
const mesh = await startMesh(20, [])
await waitMeshed(mesh.nodes, 120_000)
await new Promise((r) => setTimeout(r, 15_000))
const a = await Promise.all(mesh.nodes.map(async (x) => await cpuMs(x.pid)))
const t = performance.now()
await new Promise((r) => setTimeout(r, 30_000))
const b = await Promise.all(mesh.nodes.map(async (x) => await cpuMs(x.pid)))
const wall = performance.now() - t
const cpu = b.map((v, i) => 100 * (v - a[i]!) / wall)
const rss = await Promise.all(mesh.nodes.map(async (x) => await rssMb(x.pid)))
console.log(`cpu mean ${(cpu.reduce((x, y) => x + y, 0) / cpu.length).toFixed(2)}% rss median ${rss.sort((x, y) => x - y)[10]!.toFixed(1)}`)
await mesh.stop()
process.exit(0)
