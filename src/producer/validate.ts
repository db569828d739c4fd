/**
 * The shape of what `send`/`sendBatch` append, checked before any record of the call is appended: from JavaScript
 * a number, an object or an array as a value would otherwise reach the batch encoder, whose lengths would turn to
 * NaN and fail the whole batch (other calls' records with it) when it is sealed. Checked after serialization, so a
 * serializer that returns something other than bytes is caught the same way.
 */
import { KafkaError } from '../errors.js'
import type { WireRecord } from './accumulator.js'

/**
 * The messages' fields as they go to the batch encoder (after serialization; their list was checked before it, by
 * checkRecordList): throws a KafkaError naming the first field of the wrong type.
 */
export function checkMessageFields(records: readonly WireRecord[]): void {
  for (let r = 0; r < records.length; r++) {
    const messages = records[r]!.messages
    for (let m = 0; m < messages.length; m++) {
      const message = messages[m]!
      if (!isRecordData(message.value)) throw wrongData(records, r, m, 'value', message.value)
      if (!isRecordData(message.key)) throw wrongData(records, r, m, 'key', message.key)
      if (message.headers !== undefined) checkHeaders(records, r, m, message.headers)
      const timestamp = message.timestamp
      if (timestamp !== undefined && typeof timestamp !== 'bigint' && !Number.isFinite(Number(timestamp))) {
        throw new KafkaError(`${where(records, r)}.messages[${m}].timestamp is ${describe(timestamp)}; it is milliseconds since the epoch, a number or bigint`)
      }
    }
  }
}

/** The records' shape (an array of `{ topic, messages: [{...}] }`), not their fields' types; returns the message count. */
export function checkRecordList(records: ReadonlyArray<{ topic: string; messages: readonly unknown[] }>): number {
  if (!Array.isArray(records)) throw new KafkaError('sendBatch takes an array of { topic, messages }')
  let total = 0
  for (let r = 0; r < records.length; r++) {
    const record: unknown = records[r]
    if (typeof record !== 'object' || record === null) throw new KafkaError(`${where(records, r)} is not a { topic, messages } object`)
    const { topic, messages } = record as { topic?: unknown; messages?: unknown }
    if (typeof topic !== 'string' || topic.length === 0) throw new KafkaError(`${where(records, r)}.topic must be a non-empty string`)
    if (!Array.isArray(messages)) throw new KafkaError(`${where(records, r)}.messages must be an array of { key?, value, headers?, partition?, timestamp? }`)
    for (let m = 0; m < messages.length; m++) {
      const message: unknown = messages[m]
      if (typeof message !== 'object' || message === null) throw new KafkaError(`${where(records, r)}.messages[${m}] is not a { key?, value } object`)
    }
    total += messages.length
  }
  return total
}

/** Bytes as a record carries them; undefined counts as null (no key, or a tombstone). */
function isRecordData(data: unknown): boolean {
  return data === null || data === undefined || typeof data === 'string' || data instanceof Uint8Array
}

function checkHeaders(records: readonly WireRecord[], r: number, m: number, headers: unknown): void {
  const at = `${where(records, r)}.messages[${m}].headers`
  if (Array.isArray(headers)) {
    for (let i = 0; i < headers.length; i++) {
      const entry: unknown = headers[i]
      if (!Array.isArray(entry) || typeof entry[0] !== 'string' || !isRecordData(entry[1])) {
        throw new KafkaError(`${at}[${i}] must be a [name, value] pair: a string name, a Buffer, Uint8Array, string or null value`)
      }
    }
    return
  }
  if (typeof headers !== 'object' || headers === null) throw new KafkaError(`${at} must be an object of name → value or an array of [name, value] pairs`)
  for (const name in headers) {
    const value = (headers as Record<string, unknown>)[name]
    if (!isRecordData(value)) {
      const hint = Array.isArray(value) ? ' (for a name repeated, give the headers as an array of [name, value] pairs)' : ''
      throw new KafkaError(`${at}.${name} is ${describe(value)}; a header value is a Buffer, Uint8Array, string or null${hint}`)
    }
  }
}

function wrongData(records: readonly WireRecord[], r: number, m: number, field: 'key' | 'value', data: unknown): KafkaError {
  const serializer = field === 'key' ? 'keySerializer' : 'valueSerializer'
  return new KafkaError(
    `${where(records, r)}.messages[${m}].${field} is ${describe(data)}; a ${field} is a Buffer, Uint8Array, string or null (a ${serializer} turns other types into one)`,
  )
}

/** `records[r]` for sendBatch; send's single record is just `record`. */
function where(records: readonly unknown[], r: number): string {
  return records.length === 1 ? 'record' : `records[${r}]`
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return 'an array'
  if (typeof value === 'object' && value !== null) return 'an object'
  return `a ${typeof value}`
}
