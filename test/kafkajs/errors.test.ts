/**
 * Errors as KafkaJS programs see them: protocol errors worded from KafkaJS's table (not the broker's free text),
 * SASL failures worded as KafkaJS words them (checked on the harness's SASL listener), and samsa's error kept as
 * `cause`.
 */
import * as kafkajs from 'kafkajs'
import { KafkaProtocolError } from '../../src/errors.js'
import { errorFromCode } from '../../src/protocol/errors.js'
import { KafkaJSProtocolError, KafkaJSSASLAuthenticationError, type SASLOptions } from '../../src/kafkajs/index.js'
import { toKafkaJSError } from '../../src/kafkajs/errors.js'
import { newKafka } from './support.js'

const kafkajsTable = (require('kafkajs/src/protocol/error.js') as { errorCodes: Array<{ code: number; type: string; message: string; retriable: boolean }> }).errorCodes

describe('protocol errors', () => {
  it('carry KafkaJS’s type, code, retriable and wording for every code both know; samsa’s error is the cause', () => {
    let compared = 0
    for (const entry of kafkajsTable) {
      const samsa = errorFromCode(entry.code, 'test', 'the broker said something else')
      if (samsa === null || samsa.errorName.startsWith('UNKNOWN_CODE_')) continue
      const converted = toKafkaJSError(samsa) as KafkaJSProtocolError
      expect(converted).toBeInstanceOf(KafkaJSProtocolError)
      expect({ code: converted.code, message: converted.message }).toEqual({ code: entry.code, message: entry.message })
      expect(converted.cause).toBe(samsa)
      compared++
    }
    expect(compared).toBeGreaterThan(80)
    const notHosted = toKafkaJSError(new KafkaProtocolError(3, 'UNKNOWN_TOPIC_OR_PARTITION', true)) as KafkaJSProtocolError
    expect({ name: notHosted.name, type: notHosted.type, retriable: notHosted.retriable }).toEqual({ name: 'KafkaJSProtocolError', type: 'UNKNOWN_TOPIC_OR_PARTITION', retriable: true })
  })
})

const saslBrokers = process.env.KAFKA_SASL_BROKERS
const describeSasl = saslBrokers ? describe : describe.skip

describeSasl('SASL failures', () => {
  it.each([
    ['plain', /^SASL PLAIN authentication failed: /],
    ['scram-sha-256', /^SASL SCRAM SHA256 authentication failed: /],
    ['scram-sha-512', /^SASL SCRAM SHA512 authentication failed: /],
  ] as const)('a wrong %s password rejects connect() with KafkaJSSASLAuthenticationError worded as KafkaJS, like KafkaJS itself', async (mechanism, wording) => {
    const sasl = { mechanism, username: process.env.KAFKA_SASL_USERNAME ?? 'samsa', password: 'not-the-password' } as SASLOptions
    const producer = newKafka({ brokers: saslBrokers!.split(','), sasl, retry: { retries: 0 } }).producer()
    const failure = (await producer.connect().then(
      () => null,
      (error: unknown) => error,
    )) as Error | null
    expect(failure).toBeInstanceOf(KafkaJSSASLAuthenticationError)
    expect(failure!.message).toMatch(wording)
    expect(failure!.message).not.toContain('not-the-password')
    const oracle = new kafkajs.Kafka({ brokers: saslBrokers!.split(','), sasl: sasl as kafkajs.SASLOptions, logLevel: kafkajs.logLevel.NOTHING, retry: { retries: 0 } }).producer()
    const oracleFailure = (await oracle.connect().then(
      () => null,
      (error: unknown) => error,
    )) as Error | null
    expect(oracleFailure?.message).toMatch(wording)
  })
})
