/** @devq/core: the pure domain of DevQ. This file is the package's only public face. */
export * from './ports.ts'
export * from './errors.ts'
export * from './events/index.ts'
export * from './fold/index.ts'
