import { startMesh, waitMeshed } from './mesh-proc.ts'
const mesh = await startMesh(20, [])
await waitMeshed(mesh.nodes, 120_000)
await new Promise((r) => setTimeout(r, 15_000))
const n = mesh.nodes[3]!
const a: any = await n.get('/v1/status')
await new Promise((r) => setTimeout(r, 30_000))
const b: any = await n.get('/v1/status')
console.log(JSON.stringify(a.mesh).slice(0, 1500))
console.log(JSON.stringify(b.mesh).slice(0, 1500))
const self = b.peer; console.log(JSON.stringify(b.peers?.[0]))
await mesh.stop()
process.exit(0)
