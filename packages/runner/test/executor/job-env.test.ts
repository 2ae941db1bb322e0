import { describe, expect, it } from 'vitest'
import type { JobState, PlannedJob, PlannedStep } from '@devq/core'
import { branchOf, stepEnv } from '../../src/executor/job-env.ts'

const job = { id: 'a'.repeat(64), commit: 'c'.repeat(40), ref: 'refs/heads/main', repo: 'r'.repeat(64), run: 'f'.repeat(32) } as JobState
const planned = { id: 'build (os=linux)' } as PlannedJob
const dirs = { workspace: '/w', tmp: '/scratch/tmp', needs: '/scratch/needs' }

describe('the environment of a step', () => {
  it('has the pipeline env, DevQ\'s variables and secrets, and HOME/TMPDIR where the step can write', () => {
    const step = { env: { os: 'linux', CI: 'false', FOO: 'bar' } } as unknown as PlannedStep
    const env = stepEnv({ job, attempt: 2, planned, step, dirs, sandboxed: false, secrets: { TOKEN: 's' }, base: { PATH: '/usr/bin', SECRET_OF_RUNNER: 'x' } })
    expect(env).toMatchObject({ PATH: '/usr/bin', FOO: 'bar', os: 'linux', CI: 'true', DEVQ_SHA: job.commit, DEVQ_BRANCH: 'main', DEVQ_JOB: 'build (os=linux)', DEVQ_ATTEMPT: '2', DEVQ_NEEDS_DIR: '/scratch/needs', TOKEN: 's', HOME: '/scratch/tmp/home', TMPDIR: '/scratch/tmp' })
    expect(env.SECRET_OF_RUNNER).toBeUndefined()
    expect(stepEnv({ job, attempt: 1, planned, step, dirs, sandboxed: true, secrets: {}, base: {} })).toMatchObject({ HOME: '/tmp/home', TMPDIR: '/tmp' })
  })

  it('never carries what the loader or bash would act on before the script', () => {
    const step = { env: { LD_PRELOAD: './evil.so', LD_LIBRARY_PATH: '/x', BASH_ENV: '/x', SHELLOPTS: 'xtrace', PS4: '$(id)', 'BASH_FUNC_ls%%': '() { id; }', GCONV_PATH: '/x', OK: '1' } } as unknown as PlannedStep
    const env = stepEnv({ job, attempt: 1, planned, step, dirs, sandboxed: true, secrets: {}, base: { LD_PRELOAD: '/also-not' } })
    expect(Object.keys(env).filter((k) => /^(LD_|BASH_|SHELLOPTS|PS4|GCONV)/.test(k))).toEqual([])
    expect(env.OK).toBe('1')
  })

  it('names branches without refs/heads/', () => {
    expect(branchOf('refs/heads/feature/x')).toBe('feature/x')
    expect(branchOf('refs/tags/v1')).toBe('refs/tags/v1')
  })
})
