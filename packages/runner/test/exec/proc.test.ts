import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { environHas, parseStat } from '../../src/exec/proc.ts'
import { parseMountInfo, parseProcCgroup } from '../../src/exec/cgroup.ts'

describe('reading /proc', () => {
  it('parses stat lines whatever the command name holds', () => {
    const comm = fc.string({ maxLength: 15 })
    const id = fc.integer({ min: 1, max: 4_194_304 })
    fc.assert(fc.property(comm, id, id, id, fc.constantFrom('R', 'S', 'D', 'Z', 'T'), (name, pid, ppid, pgrp, state) => {
      const line = `${pid} (${name}) ${state} ${ppid} ${pgrp} ${pgrp} 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 12345\n`
      expect(parseStat(line)).toEqual({ pid, ppid, pgrp, state })
    }))
    expect(parseStat('garbage')).toBeNull()
  })

  it('finds an environment entry only as a whole entry, as splitting the block would', () => {
    const entry = fc.stringMatching(/^[A-Za-z0-9=_]{0,12}$/)
    fc.assert(fc.property(fc.array(entry, { maxLength: 6 }), entry, (entries, wanted) => {
      const block = Buffer.from(entries.map((e) => `${e}\0`).join(''))
      expect(environHas(block, wanted)).toBe(wanted !== '' && entries.includes(wanted))
    }))
  })

  it('locates this process in cgroup v1 and v2 hierarchies', () => {
    const places = parseProcCgroup('9:name=systemd:/\n8:pids:/\n4:memory:/api/abc\n2:cpu,cpuacct:/x\n0::/\n')
    expect(places.get('pids')).toBe('/')
    expect(places.get('memory')).toBe('/api/abc')
    expect(places.get('cpuacct')).toBe('/x')
    expect(places.get('')).toBe('/')
    const mounts = parseMountInfo('35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n41 31 0:38 /sub /sys/fs/cgroup/with\\040space rw - cgroup2 cgroup2 rw\n')
    expect(mounts).toEqual([
      { root: '/', mountPoint: '/sys/fs/cgroup/memory', fsType: 'cgroup', superOptions: ['rw', 'memory'] },
      { root: '/sub', mountPoint: '/sys/fs/cgroup/with space', fsType: 'cgroup2', superOptions: ['rw'] }
    ])
  })
})
