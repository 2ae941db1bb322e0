import { execa } from 'execa'
import { startMesh, waitMeshed } from './mesh-proc.ts'
const mesh = await startMesh(20, [])
await waitMeshed(mesh.nodes, 120_000)
await new Promise((r) => setTimeout(r, 20_000))
const pids = mesh.nodes.slice(0, 10).map((n) => n.pid).join(',')
const r = await execa('perf', ['record', '-F', '999', '-g', '-o', '/tmp/probe/perf.data', '-p', pids, '--', 'sleep', '15'], { reject: false })
console.log(r.stderr.slice(-500))
await mesh.stop()
process.exit(0)
