/**
 * Decompressors for the tar checks: node's zlib for gzip, brotli and zstd, and the system's `xz`
 * and `bzip2` for the two formats node-tar cannot read (a `.tar.xz` is a common package). Each is a
 * duplex stream: compressed bytes in, decompressed out. A missing program shows as an `error` event.
 */
import { spawn } from 'node:child_process'
import { Duplex } from 'node:stream'
import * as zlib from 'node:zlib'

/** How a tar may be compressed. */
export type TarCompression = 'none' | 'gzip' | 'zstd' | 'brotli' | 'xz' | 'bzip2'

const PROGRAMS = { xz: 'xz', bzip2: 'bzip2' } as const

/** A decompressor stream; `ended` (for the system's programs) says whether it finished cleanly. */
export type Decompressor = Duplex & { ended?: Promise<string | undefined> }

/**
 * Runs `xz -dc` or `bzip2 -dc` as a stream; killed when the stream is destroyed. `ended` resolves
 * once the program has exited: undefined when it exited 0, else why not (a corrupt or cut-short
 * stream, a signal), so the end of its output is not taken for the end of the data.
 */
function external (kind: 'xz' | 'bzip2'): Decompressor {
  const child = spawn(PROGRAMS[kind], ['-dc'], { stdio: ['pipe', 'pipe', 'ignore'] })
  const duplex: Decompressor = Duplex.from({ writable: child.stdin, readable: child.stdout })
  duplex.ended = new Promise((resolve) => {
    const broke = (why: string): void => {
      resolve(why)
      duplex.destroy(new Error(why))
    }
    child.on('error', (err) => { broke(`${PROGRAMS[kind]} cannot run here: ${err.message}`) })
    child.on('exit', (code, signal) => {
      if (code === 0) resolve(undefined)
      else broke(`${PROGRAMS[kind]} -dc ${code === null ? `was killed by ${signal ?? 'a signal'}` : `exited with ${code}`}`)
    })
  })
  child.stdin.on('error', () => {})
  duplex.on('close', () => { if (child.exitCode === null) child.kill('SIGKILL') })
  return duplex
}

/**
 * A decompressor for `compression`, or undefined where this Node has none (zstd came with 22.15).
 * Flushing on end makes a cut-short stream give what it has instead of only an error.
 */
export function decompressor (compression: Exclude<TarCompression, 'none'>): Decompressor | undefined {
  if (compression === 'gzip') return zlib.createGunzip({ finishFlush: zlib.constants.Z_SYNC_FLUSH })
  if (compression === 'brotli') return zlib.createBrotliDecompress({ finishFlush: zlib.constants.BROTLI_OPERATION_FLUSH })
  if (compression === 'xz' || compression === 'bzip2') return external(compression)
  const zstd = (zlib as Partial<typeof zlib>).createZstdDecompress
  return zstd === undefined ? undefined : zstd()
}
