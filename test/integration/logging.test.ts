/**
 * Logging through a real pino logger against the real broker: every line is JSON, carries the client's identity
 * (client id, client kind, group, member, broker), errors arrive as pino serializes them, `logLevel` narrows, and
 * no credential reaches a line even at trace level, where every request is logged.
 */
import { Writable } from 'node:stream'
import { pino } from 'pino'
import { Kafka } from '../../src/kafka.js'
import type { LogLevel } from '../../src/network/logging.js'
import { describeWithEnv, testBrokers } from '../helpers/kafka.js'

interface LogLine {
  level: number
  time: number
  msg: string
  clientId?: string
  client?: string
  groupId?: string
  memberId?: string
  broker?: string
  nodeId?: number
  apiName?: string
  err?: { type?: string; message?: string }
  [key: string]: unknown
}

/** pino writing into memory; `lines()` parses every line, so a line that is not JSON fails the test. */
function capturedPino(level: string): { logger: pino.Logger; raw: () => string; lines: () => LogLine[] } {
  const chunks: string[] = []
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString('utf8'))
      done()
    },
  })
  const logger = pino({ level }, stream)
  const raw = () => chunks.join('')
  return {
    logger,
    raw,
    lines: () =>
      raw()
        .split('\n')
        .filter((line) => line.length > 0)
        .map((line) => JSON.parse(line) as LogLine),
  }
}

/** The keys of a JSON object's own level, in order, duplicates kept (JSON.parse would keep only the last). */
function topLevelKeys(json: string): string[] {
  const keys: string[] = []
  let depth = 0
  for (let i = 0; i < json.length; i++) {
    const c = json[i]
    if (c === '"') {
      let end = i + 1
      while (json[end] !== '"') end += json[end] === '\\' ? 2 : 1
      if (depth === 1 && json[end + 1] === ':') keys.push(json.slice(i + 1, end))
      i = end
    } else if (c === '{' || c === '[') depth++
    else if (c === '}' || c === ']') depth--
  }
  return keys
}

const PINO_LEVEL: Record<Exclude<LogLevel, 'silent'>, number> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50 }
const brokers = () => testBrokers().plaintext.map((b) => `${b.host}:${b.port}`)
const unique = (name: string) => `${name}-${process.pid}-${Date.now()}`

describe('logging through pino on the real broker', () => {
  it('every line is JSON with the client, group, member and broker bound; trace shows each request', async () => {
    const captured = capturedPino('trace')
    const clientId = unique('logging-trace')
    const kafka = new Kafka({ brokers: brokers(), clientId, logger: captured.logger })
    const topic = unique('logging')
    const groupId = `${topic}-group`
    try {
      const admin = kafka.admin()
      await admin.createTopics([{ name: topic, numPartitions: 2 }])
      const producer = kafka.producer({ idempotent: true })
      await producer.send({ topic, messages: Array.from({ length: 10 }, (_, i) => ({ key: `k${i}`, value: `v${i}` })) })
      await producer.close()
      const consumer = kafka.consumer({ groupId, groupProtocol: 'consumer', autoOffsetReset: 'earliest' })
      await consumer.subscribe([topic])
      let read = 0
      for await (const _ of consumer) if (++read === 10) break
      await consumer.close()
      await admin.close()
    } finally {
      await kafka.close()
    }

    const lines = captured.lines()
    expect(lines.length).toBeGreaterThan(20)
    // A binding repeated in a line's fields would make pino write the key twice.
    for (const line of captured.raw().split('\n').filter(Boolean)) {
      const keys = topLevelKeys(line)
      expect({ line, duplicated: keys.filter((k, i) => keys.indexOf(k) !== i) }).toEqual({ line, duplicated: [] })
    }
    for (const line of lines) {
      expect(line.clientId).toBe(clientId)
      expect(typeof line.time).toBe('number')
      if (line.err !== undefined) expect(typeof line.err.type === 'string' && typeof line.err.message === 'string').toBe(true)
    }

    const connected = lines.filter((l) => l.msg === 'connected')
    expect(connected.length).toBeGreaterThan(0)
    for (const line of connected) {
      expect(line.level).toBe(PINO_LEVEL.debug)
      expect(line.broker).toMatch(/^.+:\d+$/)
    }
    // Once metadata is known, connections to a broker carry its node id.
    expect(connected.some((l) => typeof l.nodeId === 'number')).toBe(true)

    const requests = lines.filter((l) => l.msg === 'request sent' || l.msg === 'response received')
    for (const api of ['ApiVersions', 'Metadata', 'InitProducerId', 'Produce', 'ConsumerGroupHeartbeat', 'Fetch']) {
      expect({ api, sent: requests.some((l) => l.apiName === api && l.msg === 'request sent') }).toEqual({ api, sent: true })
      expect({ api, answered: requests.some((l) => l.apiName === api && l.msg === 'response received') }).toEqual({ api, answered: true })
    }
    for (const line of requests) {
      expect(line.level).toBe(PINO_LEVEL.trace)
      expect(typeof line.broker).toBe('string')
      expect(typeof line.correlationId).toBe('number')
    }

    const producerId = lines.find((l) => l.msg === 'producer id assigned')
    expect(producerId).toMatchObject({ level: PINO_LEVEL.info, client: 'producer' })
    expect(producerId!.producerId).toMatch(/^\d+$/)

    const assigned = lines.filter((l) => l.msg === 'partitions assigned')
    expect(assigned.length).toBeGreaterThan(0)
    expect(assigned[0]).toMatchObject({ level: PINO_LEVEL.info, client: 'consumer', groupId })
    expect(typeof assigned[0]!.memberId).toBe('string')
    const partitions = assigned.flatMap((l) => (l.partitions as Record<string, number[]>)[topic] ?? []).sort()
    expect(partitions).toEqual([0, 1])
    // The heartbeat loop's own lines (if any retried) are bound to the member too: the member id is the same string.
    const memberIds = new Set(lines.filter((l) => l.client === 'consumer' && l.memberId).map((l) => l.memberId))
    expect(memberIds.size).toBe(1)
  })

  it('logLevel narrows a given logger: info and above only, even with pino at trace', async () => {
    const captured = capturedPino('trace')
    const kafka = new Kafka({ brokers: brokers(), clientId: unique('logging-info'), logger: captured.logger, logLevel: 'info' })
    const topic = unique('logging-info')
    try {
      const producer = kafka.producer({ idempotent: true })
      const admin = kafka.admin()
      await admin.createTopics([{ name: topic, numPartitions: 1 }])
      await producer.send({ topic, messages: [{ value: 'x' }] })
      await producer.close()
      await admin.close()
    } finally {
      await kafka.close()
    }
    const lines = captured.lines()
    expect(lines.some((l) => l.msg === 'producer id assigned')).toBe(true)
    expect(lines.filter((l) => l.level < PINO_LEVEL.info)).toEqual([])
  })

  it('an option samsa does not know is a warning naming the likely one; values are never logged; the rest works', async () => {
    const captured = capturedPino('info')
    // JavaScript callers, and configs moved over from KafkaJS, pass names TypeScript would refuse.
    const config = { brokers: brokers(), clientId: unique('logging-options'), logger: captured.logger, connectionTimeout: 3000 }
    const kafka = new Kafka(config as ConstructorParameters<typeof Kafka>[0])
    const topic = unique('logging-options')
    try {
      const admin = kafka.admin({ defaultTimeoutMs: 30_000 })
      await admin.createTopics([{ name: topic, numPartitions: 1 }])
      const producer = kafka.producer({ lingerms: 2, transactionTimeout: 'secret-looking-value' } as Parameters<Kafka['producer']>[0])
      await producer.send({ topic, messages: [{ value: 'x' }] })
      const consumer = kafka.consumer({ groupId: unique('logging-options-group'), sessionTimeout: 10_000, autoOffsetReset: 'earliest' } as Parameters<Kafka['consumer']>[0])
      await consumer.subscribe(topic)
      for await (const message of consumer) {
        expect(message.value?.toString()).toBe('x')
        break
      }
      await consumer.close()
      await producer.close()
      await admin.close()
    } finally {
      await kafka.close()
    }
    const warnings = captured.lines().filter((l) => l.level === PINO_LEVEL.warn && typeof l.option === 'string')
    expect(warnings.map((l) => [l.option, l.didYouMean ?? null, l.msg])).toEqual([
      ['connectionTimeout', null, 'Kafka option connectionTimeout is not a samsa option and is ignored'],
      ['lingerms', 'lingerMs', 'producer option lingerms is not a samsa option and is ignored; did you mean lingerMs?'],
      ['transactionTimeout', 'transactionTimeoutMs', 'producer option transactionTimeout is not a samsa option and is ignored; did you mean transactionTimeoutMs?'],
      ['sessionTimeout', 'sessionTimeoutMs', 'consumer option sessionTimeout is not a samsa option and is ignored; did you mean sessionTimeoutMs?'],
    ])
    expect(captured.raw()).not.toContain('secret-looking-value')
  })

  it('a broker that cannot be reached: lines name it and carry the error as pino serializes it', async () => {
    const captured = capturedPino('debug')
    const kafka = new Kafka({ brokers: ['127.0.0.1:1'], clientId: unique('logging-unreachable'), logger: captured.logger, connectTimeoutMs: 200 })
    try {
      const admin = kafka.admin()
      await expect(admin.listTopics({ timeoutMs: 1_500 })).rejects.toThrow()
      await admin.close()
    } finally {
      await kafka.close()
    }
    const failures = captured.lines().filter((l) => l.err !== undefined)
    for (const line of failures) {
      expect(line.err!.type).toMatch(/Error$/)
      expect(line.err!.message!.length).toBeGreaterThan(0)
    }
    const attempts = failures.filter((l) => l.msg === 'connection attempt failed')
    expect(attempts.length).toBeGreaterThan(0)
    expect(attempts.every((l) => l.broker === '127.0.0.1:1' && l.err!.type === 'ConnectionError')).toBe(true)
    expect(failures.filter((l) => l.level === PINO_LEVEL.warn && l.broker === '127.0.0.1:1').length).toBeGreaterThan(0)
  })
})

describeWithEnv(['KAFKA_SASL_BROKERS'], 'logging with SASL at trace level', () => {
  it.each(['plain', 'scram-sha-256'] as const)('%s: no password in any line, right or wrong', async (mechanism) => {
    const { sasl, username, password } = testBrokers()
    const address = `${sasl![0]!.host}:${sasl![0]!.port}`
    const wrong = `wrong-${mechanism}-password-7f3a`
    const captured = capturedPino('trace')
    const good = new Kafka({ brokers: [address], clientId: unique('logging-sasl'), logger: captured.logger, sasl: { mechanism, username, password } })
    const bad = new Kafka({ brokers: [address], clientId: unique('logging-sasl-bad'), logger: captured.logger, sasl: { mechanism, username, password: wrong }, retry: { retries: 0 } })
    try {
      const admin = good.admin()
      await admin.listTopics()
      await admin.close()
      const badAdmin = bad.admin()
      await expect(badAdmin.listTopics({ timeoutMs: 5_000 })).rejects.toThrow()
      await badAdmin.close()
    } finally {
      await good.close()
      await bad.close()
    }
    const text = captured.raw()
    // The exchange was logged (so this checks something), the secrets were not.
    expect(captured.lines().some((l) => l.apiName === 'SaslAuthenticate')).toBe(true)
    expect(text).not.toContain(password)
    expect(text).not.toContain(wrong)
  })
})
