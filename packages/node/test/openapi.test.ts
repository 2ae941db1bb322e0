/** doc/openapi.json is what the route table generates, and the table is checked against the routes. */
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { apiRoutes, openApiDocument, openApiPath, renderOpenApi, routeTableMismatches } from '../src/index.ts'

const committed = fileURLToPath(new URL('../../../doc/openapi.json', import.meta.url))

describe('the OpenAPI file', () => {
  it('doc/openapi.json equals freshly generated output (run npm run openapi)', () => {
    expect(readFileSync(committed, 'utf8')).toBe(renderOpenApi())
  })

  it('has every route of the table, and every reference resolves', () => {
    const doc = openApiDocument() as { openapi: string, paths: Record<string, Record<string, unknown>>, components: { schemas: Record<string, unknown> } }
    expect(doc.openapi).toBe('3.1.0')
    for (const r of apiRoutes) expect(doc.paths[openApiPath(r.path)]?.[r.method.toLowerCase()], `${r.method} ${r.path}`).toBeDefined()
    const refs = JSON.stringify(doc).match(/"\$ref":"[^"]+"/g) ?? []
    expect(refs.length).toBeGreaterThan(20)
    for (const ref of refs) expect(doc.components.schemas[ref.slice('"$ref":"#/components/schemas/'.length, -1)], ref).toBeDefined()
  })

  it('describes request bodies with their defaults optional, and answers as the node sends them', () => {
    const doc = openApiDocument() as { components: { schemas: Record<string, { required?: string[], properties: Record<string, unknown> }> } }
    expect(doc.components.schemas.SyntheticJobRequest!.required).toEqual(['durationMs'])
    expect(Object.keys(doc.components.schemas.JobView!.properties)).toEqual(expect.arrayContaining(['id', 'status', 'attempts', 'activity', 'pulled']))
    expect(doc.components.schemas.ServerMessage).toBeDefined()
  })
})

describe('the route table check', () => {
  const registered = apiRoutes.map((r) => ({ method: r.method, path: r.path }))

  it('passes when fastify registered the table\'s routes (HEAD twins of GET routes aside)', () => {
    expect(routeTableMismatches([...registered, { method: 'HEAD', path: '/v1/status' }], true)).toEqual([])
    expect(routeTableMismatches(registered.filter((r) => !r.path.startsWith('/v1/test/')), false)).toEqual([])
  })

  it('names a route missing from the table and one of the table that is not registered', () => {
    const problems = routeTableMismatches([...registered.slice(1), { method: 'GET', path: '/v1/new' }], true)
    expect(problems).toEqual([
      'route GET /v1/new is registered but not in the route table (api-routes.ts)',
      'route GET /v1/status is in the route table but not registered'
    ])
  })
})
