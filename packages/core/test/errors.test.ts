/** Errors survive a process boundary: JSON keeps the name, the code, the data and whether to retry. */
import { describe, expect, it } from 'vitest'
import { generateSigner, LedgerAppendError, LedgerLockedError } from '../src/index.ts'
import { announceBody, openLedger, useTempLedgerPath } from './ledger/helpers.ts'

const path = useTempLedgerPath()

/** What a receiver of the error gets after JSON. */
const overTheWire = (err: unknown): unknown => JSON.parse(JSON.stringify(err))

describe('DevqError.toJSON', () => {
  it('keeps code and retryable of a retryable error (a second opener of a locked ledger)', async () => {
    const { ledger } = await openLedger(path())
    try {
      const err = await openLedger(path()).then(() => undefined, (e: unknown) => e)
      expect(err).toBeInstanceOf(LedgerLockedError)
      expect(overTheWire(err)).toEqual({
        name: 'LedgerLockedError', code: 'LedgerLockedError', message: (err as Error).message, data: { path: path() }, retryable: true
      })
    } finally {
      await ledger.close()
    }
  })

  it('keeps code and retryable: false of a refused append (an author who is not a member)', async () => {
    const { ledger } = await openLedger(path(), { isMember: () => false })
    try {
      const err = await ledger.append(generateSigner(), 'job.announced', announceBody()).then(() => undefined, (e: unknown) => e)
      expect(err).toBeInstanceOf(LedgerAppendError)
      expect(overTheWire(err)).toMatchObject({ name: 'LedgerAppendError', code: 'LedgerAppendError', data: { type: 'job.announced', reason: 'not_member' }, retryable: false })
    } finally {
      await ledger.close()
    }
  })
})
