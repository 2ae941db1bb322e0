/** @devq/core: the pure domain of DevQ. This file is the package's only public face. */
export * from './ports.ts'
export * from './errors.ts'
export * from './events/index.ts'
export * from './fold/index.ts'
export * from './scheduler/index.ts'
export * from './pipeline/index.ts'
export * from './ledger/index.ts'
export * from './sim/index.ts'

import { JobAnnounced } from './events/index.ts'

/**
 * One label a job may require or a peer may offer (`linux`, `arch=x64`): the ledger's own schema,
 * so that an API, a config or a pipeline accepts exactly the labels an announce can carry.
 */
export const Label = JobAnnounced.shape.labels.element
