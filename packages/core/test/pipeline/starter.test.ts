import { describe, expect, it } from 'vitest'
import { parsePipeline, planPipeline, starterPipeline } from '../../src/index.ts'

describe('starter pipelines', () => {
  it.each([
    [['Makefile', 'src'], 'make', 'make'],
    [['README.md', 'package.json'], 'npm', 'npm pack'],
    [['Cargo.toml', 'src'], 'cargo', 'cargo build'],
    [['go.mod', 'main.go'], 'go', 'go build'],
    [['README.md'], 'generic', './build.sh']
  ])('suggests one for %j that parses and plans', (top, system, command) => {
    const { buildSystem, text } = starterPipeline(top)
    expect(buildSystem).toBe(system)
    expect(text).toContain(command)
    const plan = planPipeline(parsePipeline(text), { ref: 'refs/heads/main', repo: 'r' })
    expect(plan.jobs.length).toBeGreaterThan(0)
  })
})
