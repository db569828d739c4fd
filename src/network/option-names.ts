/**
 * Option objects checked for names samsa does not know. TypeScript refuses an unknown key in an object literal, but
 * JavaScript callers (and options built elsewhere, or moved over from KafkaJS: `sessionTimeout` for
 * `sessionTimeoutMs`) get nothing but an ignored setting. As Java's "supplied but isn't a known config", each one
 * is logged as a warning, with the name it most likely meant. Only names are logged, never values (secrets).
 */
import type { Logger } from './logging.js'

/**
 * The keys of the options interface `T` at runtime. The list does not type-check while it misses a key of `T`, so
 * a new option cannot be forgotten here: `optionNames<ProducerOptions>()(['acks', ...])`.
 */
export function optionNames<T>() {
  return <const N extends ReadonlyArray<keyof T & string>>(names: N & ([Exclude<keyof T, N[number]>] extends [never] ? unknown : { missing: Exclude<keyof T, N[number]> })): ReadonlySet<string> =>
    new Set<string>(names)
}

export function warnUnknownOptions(logger: Logger, what: string, options: object | undefined, known: ReadonlySet<string>): void {
  if (typeof options !== 'object' || options === null) return
  for (const name of Object.keys(options)) {
    if (known.has(name)) continue
    const meant = likelyMeant(name, known)
    logger.warn(
      meant === undefined ? { option: name } : { option: name, didYouMean: meant },
      `${what} option ${name} is not a samsa option and is ignored${meant === undefined ? '' : `; did you mean ${meant}?`}`,
    )
  }
}

/** The known name differing only in case, or in the `Ms` that samsa's durations end with. */
function likelyMeant(name: string, known: ReadonlySet<string>): string | undefined {
  const lower = name.toLowerCase()
  for (const candidate of known) {
    const other = candidate.toLowerCase()
    if (other === lower || other === `${lower}ms` || `${other}ms` === lower) return candidate
  }
  return undefined
}
