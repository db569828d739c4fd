import { KafkaProtocolError } from '../errors.js'
import { errorCodes } from './generated/error-codes.js'

/**
 * The error a Kafka error code stands for, or null for 0 (NONE). Codes this Kafka version does not know still
 * give an error (named UNKNOWN_CODE_<n>, not retriable) rather than being mistaken for success.
 */
export function errorFromCode(code: number, context?: string, brokerMessage?: string | null): KafkaProtocolError | null {
  if (code === 0) return null
  const info = errorCodes.get(code)
  const message = brokerMessage ?? info?.message ?? null
  const options = context === undefined ? { message } : { message, context }
  return new KafkaProtocolError(code, info?.name ?? `UNKNOWN_CODE_${code}`, info?.retriable ?? false, options)
}

/** Whether Kafka classifies the code's exception as retriable (a `RetriableException`). */
export function isRetriableCode(code: number): boolean {
  return errorCodes.get(code)?.retriable ?? false
}

/** Kafka's name for an error code, e.g. `NOT_LEADER_OR_FOLLOWER`. */
export function errorName(code: number): string {
  return errorCodes.get(code)?.name ?? `UNKNOWN_CODE_${code}`
}
