/**
 * Every error class that can reach an application is importable from the package entry, so callers can test for it
 * with `instanceof`. The list is explicit: a new error class thrown to users belongs here and in src/index.ts.
 */
import * as entry from '../../src/index.js'
import {
  AbortError,
  AuthenticationError,
  CompressionCodecUnavailableError,
  ConnectionError,
  KafkaError,
  KafkaProtocolError,
  ProtocolDecodeError,
  RecordsDecodeError,
  TelemetryDisabledError,
  TimeoutError,
} from '../../src/errors.js'
import { UnsupportedVersionError } from '../../src/network/versions.js'
import { EncodeError } from '../../src/protocol/writer.js'
import { ProducerClosedError } from '../../src/producer/producer.js'
import { TransactionError } from '../../src/producer/transactions.js'
import { DeserializationError, LogTruncationError } from '../../src/consumer/errors.js'

const ERROR_CLASSES: Record<string, abstract new (...args: never[]) => Error> = {
  KafkaError,
  KafkaProtocolError,
  ProtocolDecodeError,
  RecordsDecodeError,
  CompressionCodecUnavailableError,
  ConnectionError,
  TimeoutError,
  AuthenticationError,
  AbortError,
  UnsupportedVersionError,
  EncodeError,
  ProducerClosedError,
  TransactionError,
  DeserializationError,
  LogTruncationError,
  TelemetryDisabledError,
}

describe('error classes exported from the package entry', () => {
  it.each(Object.entries(ERROR_CLASSES))('%s is exported as the class the SDK throws, and extends KafkaError', (name, cls) => {
    expect((entry as Record<string, unknown>)[name]).toBe(cls)
    expect(cls === KafkaError || cls.prototype instanceof KafkaError).toBe(true)
  })

  it('the deprecated AbortedError name is still exported, as AbortError itself', () => {
    expect(entry.AbortedError).toBe(entry.AbortError)
  })

  it('every error class the entry exports is in the list', () => {
    const exported = Object.entries(entry as Record<string, unknown>)
      .filter(([, value]) => typeof value === 'function' && (value === Error || (value as { prototype?: unknown }).prototype instanceof Error))
      .map(([name]) => name)
      .filter((name) => name !== 'AbortedError')
    expect(exported.sort()).toEqual(Object.keys(ERROR_CLASSES).sort())
  })
})
