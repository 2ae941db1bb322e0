/**
 * Checking an OCI image layout given as a tar stream (the tar of a layout directory, or a layout
 * archive), in one pass over its bytes: every file is hashed as it streams by, small JSON files are
 * kept, and at the end the layout is walked from `index.json` through every manifest and nested
 * index to each config and layer. Each referenced blob must exist under `blobs/sha256/<hex>` and
 * match its descriptor's digest and size. Like umoci's `oci/cas/dir`, plus the digest of every blob.
 */
import { createHash, type Hash } from 'node:crypto'
import { posix } from 'node:path'
import { z } from 'zod'
import { MAX_OCI_DEPTH, MAX_OCI_DESCRIPTORS, MAX_OCI_JSON_BYTES, MAX_OCI_JSON_TOTAL_BYTES } from './limits.ts'
import { artifactError } from './refusal.ts'
import { createTarScanner, type EntrySink, type TarEntryInfo, type TarScanner } from './tar-check.ts'

/** What a checked layout holds. */
export interface OciSummary {
  manifests: number
  blobs: number
}

/** A layout check fed tar bytes; `end` resolves with the summary, or throws `bad_oci_layout` / `bad_tar_entry`. */
export interface OciScanner {
  write(chunk: Uint8Array): Promise<void>
  end(): Promise<OciSummary>
}

interface SeenFile {
  hex: string
  size: number
  json?: Buffer
}

const Descriptor = z.looseObject({ mediaType: z.string().max(255).optional(), digest: z.string().max(200), size: z.number().int().min(0) })
type Descriptor = z.infer<typeof Descriptor>
const Layout = z.looseObject({ imageLayoutVersion: z.literal('1.0.0') })
const Index = z.looseObject({ manifests: z.array(Descriptor).max(MAX_OCI_DESCRIPTORS) })
const Manifest = z.looseObject({ config: Descriptor, layers: z.array(Descriptor).max(MAX_OCI_DESCRIPTORS) })

const INDEX_TYPES = new Set(['application/vnd.oci.image.index.v1+json', 'application/vnd.docker.distribution.manifest.list.v2+json'])
const MANIFEST_TYPES = new Set(['application/vnd.oci.image.manifest.v1+json', 'application/vnd.docker.distribution.manifest.v2+json'])

function normalizeEntry (path: string): string {
  return posix.normalize(path).replace(/^(\.\/)+/, '').replace(/\/$/, '')
}

/** Collects hashes and small JSON bodies of every regular file entry. */
function collector (files: Map<string, SeenFile>): (entry: TarEntryInfo) => EntrySink | undefined {
  let keptBytes = 0
  return (entry) => {
    if (entry.type !== 'File' && entry.type !== 'OldFile' && entry.type !== 'ContiguousFile') return undefined
    const path = normalizeEntry(entry.path)
    const hash: Hash = createHash('sha256')
    let parts: Buffer[] | undefined = entry.size <= MAX_OCI_JSON_BYTES && keptBytes + entry.size <= MAX_OCI_JSON_TOTAL_BYTES ? [] : undefined
    let size = 0
    return {
      write (chunk) {
        hash.update(chunk)
        // Only JSON can be a layout file or a manifest; layers (gzip, tar) are hashed, not kept.
        if (size === 0 && parts !== undefined && !/^\s*[{[]/.test(chunk.subarray(0, 64).toString('latin1'))) parts = undefined
        size += chunk.length
        parts?.push(chunk)
      },
      end () {
        const json = parts === undefined ? undefined : Buffer.concat(parts)
        if (json !== undefined) keptBytes += json.length
        files.set(path, { hex: hash.digest('hex'), size, ...(json === undefined ? {} : { json }) })
      }
    }
  }
}

/** The checks after the pass: from `oci-layout` and `index.json` down to every blob. */
class LayoutWalk {
  readonly artifact: string
  readonly files: Map<string, SeenFile>
  readonly root: string
  manifests = 0
  descriptors = 0
  readonly verified = new Set<string>()

  constructor (artifact: string, files: Map<string, SeenFile>) {
    this.artifact = artifact
    this.files = files
    this.root = layoutRoot(artifact, files)
  }

  bad (path: string, detail: string): Error {
    return artifactError(this.artifact, 'bad_oci_layout', detail, path)
  }

  json<T> (path: string, schema: z.ZodType<T>, what: string): T {
    const file = this.files.get(this.root + path)
    if (file === undefined) throw this.bad(path, `is not an OCI image layout: ${path} is missing`)
    if (file.json === undefined) throw this.bad(path, `has a ${what} that is not JSON or is over ${MAX_OCI_JSON_BYTES} bytes`)
    let value: unknown
    try {
      value = JSON.parse(file.json.toString('utf8'))
    } catch {
      throw this.bad(path, `has a ${what} that is not valid JSON`)
    }
    const parsed = schema.safeParse(value)
    if (!parsed.success) throw this.bad(path, `has a ${what} of the wrong shape: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`)
    return parsed.data
  }

  /** Checks one descriptor's blob and returns its layout path. */
  blob (desc: Descriptor, from: string): string {
    if (++this.descriptors > MAX_OCI_DESCRIPTORS) throw this.bad(from, `references more than ${MAX_OCI_DESCRIPTORS} blobs`)
    const m = /^sha256:([0-9a-f]{64})$/.exec(desc.digest)
    if (m === null) throw this.bad(from, `references ${JSON.stringify(desc.digest)}, not a sha256 digest`)
    const path = `blobs/sha256/${m[1]}`
    const file = this.files.get(this.root + path)
    if (file === undefined) throw this.bad(path, `is missing (referenced by ${from})`)
    if (file.size !== desc.size) throw this.bad(path, `is ${file.size} bytes, but ${from} says ${desc.size}`)
    if (file.hex !== m[1]) throw this.bad(path, `hashes to sha256:${file.hex}, not its name (referenced by ${from})`)
    this.verified.add(path)
    return path
  }

  index (path: string, depth: number): void {
    if (depth > MAX_OCI_DEPTH) throw this.bad(path, `nests image indexes deeper than ${MAX_OCI_DEPTH}`)
    const index = this.json(path, Index, 'image index')
    if (depth === 0 && index.manifests.length === 0) throw this.bad(path, 'lists no manifests')
    for (const desc of index.manifests) this.child(desc, path, depth)
  }

  child (desc: Descriptor, from: string, depth: number): void {
    const path = this.blob(desc, from)
    const type = desc.mediaType ?? ''
    if (INDEX_TYPES.has(type)) return this.index(path, depth + 1)
    if (MANIFEST_TYPES.has(type)) return this.manifest(path)
    // An unknown media type: follow it by its shape when it is JSON, else it is a plain blob.
    const body = this.files.get(this.root + path)?.json
    if (body === undefined) return
    let value: unknown
    try { value = JSON.parse(body.toString('utf8')) } catch { return }
    if (Index.safeParse(value).success) return this.index(path, depth + 1)
    if (Manifest.safeParse(value).success) return this.manifest(path)
  }

  manifest (path: string): void {
    this.manifests++
    const manifest = this.json(path, Manifest, 'image manifest')
    this.blob(manifest.config, path)
    for (const layer of manifest.layers) this.blob(layer, path)
  }

  run (): OciSummary {
    this.json('oci-layout', Layout, 'oci-layout file (imageLayoutVersion must be "1.0.0")')
    this.index('index.json', 0)
    return { manifests: this.manifests, blobs: this.verified.size }
  }
}

/** The directory in the tar that holds `oci-layout`: the root, or the one top directory. */
function layoutRoot (artifact: string, files: Map<string, SeenFile>): string {
  let best: string | undefined
  for (const path of files.keys()) {
    if (posix.basename(path) !== 'oci-layout') continue
    if (best === undefined || path.split('/').length < best.split('/').length) best = path
  }
  if (best === undefined) throw artifactError(artifact, 'bad_oci_layout', 'is not an OCI image layout: oci-layout is missing', 'oci-layout')
  const dir = posix.dirname(best)
  return dir === '.' ? '' : `${dir}/`
}

/** A layout check over the bytes of one tar, fed as they stream into the store. */
export function createOciScanner (artifact: string): OciScanner {
  const files = new Map<string, SeenFile>()
  const tar: TarScanner = createTarScanner({ artifact, unreadable: 'bad_oci_layout', onEntry: collector(files) })
  return {
    write: async (chunk) => { await tar.write(chunk) },
    end: async () => {
      await tar.end()
      return new LayoutWalk(artifact, files).run()
    }
  }
}
