/** The built-in deserializers and option resolution shared by the group consumer and the share consumer. */
import { KafkaError } from '../errors.js'
import type { Deserializer, DeserializerOption } from './types.js'

function deserializeString(bytes: Buffer): string {
  return bytes.toString('utf8')
}

function deserializeJson(bytes: Buffer): unknown {
  return JSON.parse(bytes.toString('utf8'))
}

/** The function a `keyDeserializer` / `valueDeserializer` option stands for; null when there is none. */
export function resolveDeserializer(option: DeserializerOption | undefined, which: string): Deserializer<unknown> | null {
  if (option === undefined) return null
  if (option === 'string') return deserializeString
  if (option === 'json') return deserializeJson
  if (typeof option === 'function') return option
  throw new KafkaError(`${which} must be 'string', 'json' or a function, not ${JSON.stringify(option)}`)
}
