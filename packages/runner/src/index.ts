/**
 * @devq/runner: what a peer needs to build a job: git source over direct streams (serve and
 * fetch), workspaces, the sandboxed step executor, logs with secret masking, artifacts. It imports
 * only @devq/core; the node wires it to the mesh. This file is the package's only public face.
 */
export * from './errors.ts'
export { FrameReader, writeFrame, answerError, withIdleTimeout, MAX_FRAME_BYTES, type RefusedFrame } from './wire.ts'
export { createSecretServer, requestSecrets, type SecretServerComponents } from './secrets.ts'
export { createLocalPair } from './local-stream.ts'
export * from './logs/index.ts'
export * from './artifacts/index.ts'
export * from './git/index.ts'
export * from './exec/index.ts'
export * from './executor/index.ts'
