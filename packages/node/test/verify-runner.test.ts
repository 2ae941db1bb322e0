import { describe, expect, it } from 'vitest'
import type { RunnerStanding } from '../src/provenance.ts'
import { runnerRequirement, runnerShortfall, standingText } from '../src/verify-runner.ts'

const RUNNER = '12D3KooWEyoppNCUx8Yx66oV9fJnriXwCcXwDDUA2kj6vnc6iDEp'
const OTHER = '12D3KooWRBy97UB99e3J6hiPesre1MZeuNQvfan4gBziswrRJsNK'
const none = { peers: [], roles: [] }

describe('what devq verify requires of a runner', () => {
  it('refuses a runner that was no member at its finish, whatever else is asked', () => {
    expect(runnerShortfall(RUNNER, { peer: RUNNER, roles: [], rolesNow: [] }, none))
      .toBe(`its runner ${RUNNER} was not a member of the team at its finish (by this peer's ledger), so its build does not count`)
  })

  it('refuses an account of another peer than the one that signed the finish', () => {
    expect(runnerShortfall(RUNNER, { peer: OTHER, roles: ['member'], rolesNow: ['member'] }, none)).toMatch(/is of .*, but the finish was signed by/)
  })

  it('takes any of the runners named and needs every role named, an admin being trusted too', () => {
    const standing: RunnerStanding = { peer: RUNNER, roles: ['member', 'trusted', 'admin'], rolesNow: [] }
    expect(runnerShortfall(RUNNER, standing, runnerRequirement({ runner: [OTHER, RUNNER], requireRole: ['trusted', 'admin'] }))).toBeUndefined()
    expect(runnerShortfall(RUNNER, standing, runnerRequirement({ runner: [OTHER, OTHER] }))).toBe(`its runner is ${RUNNER}, not one of those required (--runner ${OTHER}, --runner ${OTHER})`)
    expect(standingText(standing)).toBe('(signed the provenance; admin at its finish, no member now)')
  })

  it('cannot check roles a node did not report, and says so', () => {
    expect(runnerShortfall(RUNNER, undefined, none)).toBeUndefined()
    expect(runnerShortfall(RUNNER, undefined, runnerRequirement({ requireRole: ['member'] }))).toMatch(/did not say which roles its runner .* held/)
  })

  it('refuses a --runner that is not a whole peer id and a --require-role that is not a role', () => {
    expect(() => runnerRequirement({ runner: [RUNNER.slice(0, 20)] })).toThrow(expect.objectContaining({ name: 'CliUsageError' }))
    expect(() => runnerRequirement({ requireRole: ['owner'] })).toThrow(/--require-role owner: not a role; one of member, trusted, admin/)
  })
})
