/**
 * The job page's live log: the buffer a store feeds from the event stream, and the view that
 * draws it. See log-buffer.ts for how a store holds a log and LogView.tsx for the view.
 */
export { createLogBuffer, type AppendResult, type LogAppended, type LogBuffer, type LogBufferInit, type LogBufferSnapshot, type LogEnded, type LogGap } from './log-buffer.ts'
export type { LogGroup } from './log-groups.ts'
export type { FailureNote } from './error-lines.ts'
export { LogView, statusText, type LogViewProps } from './LogView.tsx'
export { measureLogOpen, type LogOpenFigures } from './measure-open.tsx'
