import { readFileSync, readdirSync } from 'node:fs'
import { startMesh, waitMeshed } from './mesh-proc.ts'
import { cpuMs } from './mesh-stats.ts'
const mesh = await startMesh(20, [])
await waitMeshed(mesh.nodes, 120_000)
const threads = (pid: number) => Object.fromEntries(readdirSync(`/proc/${pid}/task`).map((t) => { const s = readFileSync(`/proc/${pid}/task/${t}/stat`, 'utf8'); const name = s.slice(s.indexOf('(') + 1, s.lastIndexOf(')')); const f = s.slice(s.lastIndexOf(')') + 2).split(' '); return [`${t} ${name}`, Number(f[11]) + Number(f[12])] }))
for (let w = 0; w < 5; w++) {
  const a = await Promise.all(mesh.nodes.map(async (x) => await cpuMs(x.pid)))
  const ta = threads(mesh.nodes[5]!.pid)
  const t = performance.now()
  await new Promise((r) => setTimeout(r, 10_000))
  const b = await Promise.all(mesh.nodes.map(async (x) => await cpuMs(x.pid)))
  const tb = threads(mesh.nodes[5]!.pid)
  const wall = performance.now() - t
  const cpu = b.map((v, i) => 100 * (v - a[i]!) / wall)
  console.log(`window ${w}: mean ${(cpu.reduce((x, y) => x + y, 0) / cpu.length).toFixed(2)}%`, Object.entries(tb).map(([k, v]) => `${k.split(' ')[1]}:${v - (ta[k] ?? 0)}`).filter((x) => !x.endsWith(':0')).join(' '))
}
await mesh.stop()
process.exit(0)
