/**
 * Job logs on the runner: secret masking of step output (redact.ts), the per-attempt log store with
 * its cap, digest and followers (store.ts, writer.ts), log structure from group markers (groups.ts)
 * and the `logs` direct-stream protocol (protocol.ts).
 */
export { LogError, type LogFailure } from '../errors.ts'
export { createRedactor, secretForms, MASK, type Redactor } from './redact.ts'
export { NOTE_PREFIX, type LogSummary, type LogWriter } from './writer.ts'
export { createLogStore, checkLogId, DEFAULT_LOG_CAP_BYTES, LOG_READ_CHUNK_BYTES, MAX_ATTEMPT, type LogInfo, type LogStore, type LogStoreInit } from './store.ts'
export {
  createGroupParser, parseGroups, stepHeaderLine, stepOfGroup, LINE_PREFIX_CHARS, MAX_GROUPS, MAX_GROUP_NAME,
  type GroupParser, type LogGroup, type LogOutline
} from './groups.ts'
export { createLogServer, fetchLog, LOGS_IDLE_MS, LOGS_MAX_REQUEST_BYTES, LOGS_PROTOCOL, type FetchLogInit, type LogServerInit } from './protocol.ts'
