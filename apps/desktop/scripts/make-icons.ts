/**
 * Draws the tray icons (one per tray state, 16x16 and 32x32 for @2x screens) as RGBA PNGs with
 * node:zlib alone, into assets/tray/. Run after changing a colour: `node scripts/make-icons.ts`;
 * the PNGs are committed.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { crc32, deflateSync } from 'node:zlib'

type Rgba = readonly [number, number, number, number]
/** Fill and ring colour per state; offline is a hollow ring. */
const STYLES: Record<string, { fill: Rgba | undefined, ring: Rgba }> = {
  idle: { fill: [46, 160, 67, 255], ring: [24, 100, 40, 255] },
  building: { fill: [31, 111, 235, 255], ring: [16, 64, 150, 255] },
  failed: { fill: [218, 54, 51, 255], ring: [140, 24, 22, 255] },
  offline: { fill: undefined, ring: [128, 128, 128, 255] }
}

function chunk (type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4)
  len.writeUInt32BE(data.length)
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data])
  const crc = Buffer.alloc(4)
  crc.writeUInt32BE(crc32(body))
  return Buffer.concat([len, body, crc])
}

/** A PNG of `size` x `size` pixels, each from `pixel(x, y)`. */
function png (size: number, pixel: (x: number, y: number) => Rgba): Buffer {
  const raw = Buffer.alloc(size * (size * 4 + 1))
  for (let y = 0; y < size; y++) {
    const row = y * (size * 4 + 1)
    raw[row] = 0
    for (let x = 0; x < size; x++) Buffer.from(pixel(x, y)).copy(raw, row + 1 + x * 4)
  }
  const header = Buffer.alloc(13)
  header.writeUInt32BE(size, 0)
  header.writeUInt32BE(size, 4)
  header.set([8, 6, 0, 0, 0], 8)
  return Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', header), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))])
}

/** A disc (or ring) with a one-pixel-scale border, centred. */
function icon (size: number, style: { fill: Rgba | undefined, ring: Rgba }): Buffer {
  const c = (size - 1) / 2
  const outer = size / 2 - 0.5
  const inner = outer - size / 8
  return png(size, (x, y) => {
    const d = Math.hypot(x - c, y - c)
    if (d > outer) return [0, 0, 0, 0]
    if (d > inner) return style.ring
    return style.fill ?? [0, 0, 0, 0]
  })
}

const out = fileURLToPath(new URL('../assets/tray/', import.meta.url))
mkdirSync(out, { recursive: true })
for (const [state, style] of Object.entries(STYLES)) {
  writeFileSync(join(out, `tray-${state}.png`), icon(16, style))
  writeFileSync(join(out, `tray-${state}@2x.png`), icon(32, style))
}
console.log(`tray icons written to ${out}`)
