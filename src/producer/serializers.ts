/**
 * Key and value serializers: turn what the application sends into record bytes (`Buffer | string | null`) before
 * partitioning, so keyed placement hashes the serialized key exactly as the Java producer does.
 */
import { KafkaError } from '../errors.js'
import type { RecordData } from '../records/index.js'

/** Turns an application value into record bytes; `topic` lets one serializer differ per destination. */
export type Serializer<T> = (value: T, topic: string) => Buffer | Uint8Array | string | null

/**
 * `'string'`: strings as UTF-8, numbers/bigints/booleans as their decimal text. `'json'`: `JSON.stringify`.
 * A function: your own. `Serializer<never>` accepts a serializer of any input type (parameters are contravariant).
 */
export type SerializerOption = 'string' | 'json' | Serializer<never>

/** What the built-in `'string'` serializer accepts. */
export type StringSerializable = string | number | bigint | boolean

/**
 * The key or value type `send` accepts given a serializer option: unconstrained (`unknown`) for `'json'`, the
 * function's parameter type for a function, and `Buffer | string | null` when there is no serializer. An option
 * whose type is the whole `SerializerOption` union (declared without its literal type) also gives
 * `Buffer | string | null`: nothing narrower can be known, and that is what the producer writes without one.
 */
export type SerializerInput<S> = [Exclude<S, undefined>] extends [never]
  ? RecordData
  : [SerializerOption] extends [Exclude<S, undefined>]
    ? RecordData
    : InputOf<Exclude<S, undefined>>

type InputOf<S> = S extends 'string'
  ? StringSerializable
  : S extends 'json'
    ? unknown
    : S extends (value: infer T, topic: string) => unknown
      ? T
      : RecordData

/** A resolved serializer: never called with null or undefined (those mean "no key" / tombstone and pass through). */
export type ResolvedSerializer = (value: unknown, topic: string) => RecordData

function serializeString(value: unknown, topic: string): RecordData {
  switch (typeof value) {
    case 'string':
      return value
    case 'number':
    case 'bigint':
    case 'boolean':
      return String(value)
    default:
      // Bytes are already serialized; anything else would become "[object Object]", which nobody means.
      if (Buffer.isBuffer(value)) return value
      throw new KafkaError(`The 'string' serializer got a ${describe(value)} for topic ${topic}; it takes strings, numbers, bigints and booleans`)
  }
}

function serializeJson(value: unknown, topic: string): RecordData {
  let text: string | undefined
  try {
    text = JSON.stringify(value)
  } catch (error) {
    throw new KafkaError(`The 'json' serializer could not serialize a ${describe(value)} for topic ${topic}`, { cause: error })
  }
  if (text === undefined) throw new KafkaError(`The 'json' serializer got a ${describe(value)} for topic ${topic}, which has no JSON form`)
  return text
}

function fromCustom(serializer: Serializer<unknown>, role: 'key' | 'value'): ResolvedSerializer {
  return (value, topic): RecordData => {
    let out: ReturnType<Serializer<unknown>>
    try {
      out = serializer(value, topic)
    } catch (error) {
      throw new KafkaError(`The ${role} serializer failed for topic ${topic}: ${error instanceof Error ? error.message : String(error)}`, { cause: error })
    }
    if (out === null) return null
    if (typeof out === 'string') return out
    if (Buffer.isBuffer(out)) return out
    // A plain Uint8Array (TextEncoder, protobuf libraries) is wrapped without copying.
    if (out instanceof Uint8Array) return Buffer.from(out.buffer, out.byteOffset, out.byteLength)
    throw new KafkaError(`The ${role} serializer returned a ${describe(out)} for topic ${topic}; it must return a Buffer, Uint8Array, string or null`)
  }
}

export function resolveSerializer(option: SerializerOption | undefined, role: 'key' | 'value'): ResolvedSerializer | null {
  if (option === undefined) return null
  if (option === 'string') return serializeString
  if (option === 'json') return serializeJson
  if (typeof option === 'function') return fromCustom(option as Serializer<unknown>, role)
  throw new KafkaError(`Producer option ${role}Serializer must be 'string', 'json' or a function, got ${describe(option)}`)
}

function describe(value: unknown): string {
  if (value === null) return 'null'
  if (typeof value === 'object') return value.constructor?.name ?? 'object'
  return typeof value
}
