/** How the admin reports samsa's per-item errors the way KafkaJS's response parsers do. */
import type { KafkaProtocolError } from '../errors.js'
import { toKafkaJSError } from './errors.js'

/** KafkaJS fails a request on its first item in error; so does the facade (the others stay reachable through the broker). */
export function throwFirstError(results: ReadonlyArray<{ error: KafkaProtocolError | null }>): void {
  const failed = results.find((r) => r.error !== null)
  if (failed?.error) throw toKafkaJSError(failed.error)
}
