/**
 * @devq/core: the pure domain of DevQ. This file is the package's public face; the simulator (a
 * whole grid in one process, for tests and benchmarks) is its own face, `@devq/core/sim`.
 */
export * from './ports.ts'
export * from './errors.ts'
export * from './events/index.ts'
export * from './fold/index.ts'
export * from './scheduler/index.ts'
export * from './pipeline/index.ts'
export * from './ledger/index.ts'
export * from './provenance/index.ts'
