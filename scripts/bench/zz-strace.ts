import { execa } from 'execa'
import { startMesh, waitMeshed } from './mesh-proc.ts'
const mesh = await startMesh(Number(process.argv[2] ?? 1), [])
await waitMeshed(mesh.nodes, 120_000)
await new Promise((r) => setTimeout(r, 20_000))
const pid = mesh.nodes[3]!.pid
const r = await execa('timeout', ['-s', 'INT', '10', 'strace', '-c', '-f', '-p', String(pid)], { reject: false })
console.log(r.stderr.slice(-2500))
const t = await execa('timeout', ['-s', 'INT', '0.5', 'strace', '-tt', '-p', String(pid)], { reject: false })
console.log(t.stderr.slice(0, 5000))
await mesh.stop()
process.exit(0)
