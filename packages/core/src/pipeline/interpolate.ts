/**
 * `${VAR}` placeholders. `$${VAR}` stands for a literal `${VAR}`. Other `$` forms (`$VAR`,
 * `${VAR:-x}`) are shell syntax and pass through untouched.
 */

/** Source of the placeholder pattern; group 1 is `$` for an escaped placeholder, group 2 the name. */
export const PLACEHOLDER_SOURCE = String.raw`\$(\$?)\{([A-Za-z_][A-Za-z0-9_]*)\}`
const PLACEHOLDER = new RegExp(PLACEHOLDER_SOURCE, 'g')

/** Variables built in at plan time: the announced ref and repository id. */
export const BUILTIN_VARIABLES = ['DEVQ_REF', 'DEVQ_REPO'] as const

/**
 * Fills placeholders from `vars`. Unknown names stay as written, so a `run` script can still use
 * its own shell variables; fields where that would be a mistake are checked at parse time instead.
 */
export function interpolate (template: string, vars: Readonly<Record<string, string>>): string {
  return template.replace(PLACEHOLDER, (whole: string, escape: string, name: string) => {
    if (escape === '$') return whole.slice(1)
    return Object.hasOwn(vars, name) ? vars[name] ?? '' : whole
  })
}

/** Names the template refers to (escaped placeholders excluded), in order of appearance. */
export function placeholders (template: string): string[] {
  const out: string[] = []
  for (const m of template.matchAll(PLACEHOLDER)) {
    if (m[1] !== '$' && m[2] !== undefined) out.push(m[2])
  }
  return out
}
