/** @devq/core: the pure domain of DevQ. This file is the package's only public face. */
export * from './ports.ts'
export * from './errors.ts'
export * from './events/index.ts'
export * from './fold/index.ts'
export * from './scheduler/index.ts'
export * from './pipeline/index.ts'
export * from './ledger/index.ts'
export * from './sim/index.ts'
