/**
 * Durations as `.devq.yml` writes them: `90s`, `30m`, `1h30m`, `2d`, or a number of seconds.
 * Units must come in the order d, h, m, s, each at most once, so each text has one reading.
 */
export const DURATION_PATTERN = /^(?:(\d{1,6})d)?(?:(\d{1,6})h)?(?:(\d{1,6})m)?(?:(\d{1,7})s)?$/

const UNIT_MS = [24 * 3600 * 1000, 3600 * 1000, 60 * 1000, 1000]

/**
 * Milliseconds for a duration string or a number of seconds; `undefined` if `value` is not a
 * duration. Bounds are the caller's business.
 */
export function durationMs (value: string | number): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? Math.round(value * 1000) : undefined
  const m = DURATION_PATTERN.exec(value)
  if (m === null || value === '') return undefined
  let ms = 0
  for (let i = 0; i < UNIT_MS.length; i++) {
    const part = m[i + 1]
    if (part !== undefined) ms += Number(part) * (UNIT_MS[i] ?? 0)
  }
  return ms
}
