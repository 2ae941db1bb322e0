import { execa } from 'execa'
import { startMesh, waitMeshed } from './mesh-proc.ts'
const mesh = await startMesh(20, [])
await waitMeshed(mesh.nodes, 120_000)
await new Promise((r) => setTimeout(r, 20_000))
const pid = mesh.nodes[3]!.pid
const t = await execa('timeout', ['-s', 'INT', '6', 'strace', '-tt', '-f', '-e', 'trace=read,write,writev,openat', '-p', String(pid)], { reject: false })
console.log(t.stderr.split('\n').filter((l) => !/detached|attached/.test(l)).map((l) => l.slice(0, 110)).join('\n'))
await mesh.stop()
process.exit(0)
