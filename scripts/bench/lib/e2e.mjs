// Shared parts of the end-to-end benchmarks (latency.mjs, memory.mjs): one producer and one consumer of the same
// topic in one Node process, for samsa, KafkaJS and @platformatic/kafka; an open-loop send schedule; probes that
// tell when the consumer is ready; the value layout that carries each record's scheduled send time; percentiles.
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { importSnapshot, repoRoot } from './samsa.mjs'

const require = createRequire(join(repoRoot, 'package.json'))

// Value layout (big-endian), the same in scripts/bench/java/RateLatency.java except for the clock: [0..8) the
// scheduled send time (Node: float64 ms of performance.now(); Java: int64 ns of System.nanoTime()), [8..12) the
// sequence number, [12] the phase, [13..21) the time the value was handed to send() (same clock); filler after
// that. The second time splits a record's latency into the schedule's lag (the benchmark's timer waking late,
// the event loop busy) and what the client took from its send() call to the consumer's delivery.
export const PROBE = 0
export const WARMUP = 1
export const MEASURED = 2
export const HEAD_BYTES = 21

/** A value of `size` bytes (≥ 21) stamped with its scheduled time, sequence number, phase and the time now. */
export function stampedValue(filler, scheduledMs, seq, phase) {
  const value = Buffer.allocUnsafe(filler.length)
  filler.copy(value, HEAD_BYTES, HEAD_BYTES)
  value.writeDoubleBE(scheduledMs, 0)
  value.writeUInt32BE(seq, 8)
  value[12] = phase
  value.writeDoubleBE(performance.now(), 13)
  return value
}

export function filler(size) {
  if (size < HEAD_BYTES) throw new Error(`values need at least ${HEAD_BYTES} bytes for the time stamp`)
  return Buffer.alloc(size, 'x')
}

/**
 * Percentile by nearest rank over sorted samples: the smallest sample with at least p of all samples at or below
 * it (RateLatency.java computes it the same way).
 */
export function percentile(sorted, p) {
  if (sorted.length === 0) return null
  const rank = Math.ceil(p * sorted.length)
  return sorted[Math.max(0, Math.min(sorted.length, rank) - 1)]
}

/**
 * Opens a producer and a consumer (a fresh group, subscribed to `topic`) of one client. `onMessage(value,
 * partition)` is called for every record, synchronously in the client's delivery callback.
 * `profile`: 'latency' (the clients' low-latency settings: samsa lingerMs 0, every consumer's max wait
 * `fetchMaxWaitMs`, auto-commit off) or 'memory' (each client's defaults, auto-commit as the client defaults).
 * Returns `{ send(value, partition?) → Promise, sendBatch(values) → Promise, settings, close() }`: `send` hands one
 * record to one send() call, `sendBatch` several records to one call.
 */
export async function openClient(client, { brokers, topic, groupId, samsaDir, profile, fetchMaxWaitMs, onMessage }) {
  const brokerList = brokers.split(',')
  const latency = profile === 'latency'
  if (client === 'samsa') {
    const { Kafka } = await importSnapshot(samsaDir)
    const kafka = new Kafka({ brokers: brokerList, clientId: `bench-${profile}`, logger: false })
    const producer = kafka.producer({ acks: 'all', ...(latency ? { lingerMs: 0 } : {}) })
    const consumer = kafka.consumer({ groupId, autoOffsetReset: 'latest', ...(latency ? { enableAutoCommit: false, fetchMaxWaitMs } : {}) })
    await consumer.subscribe([topic])
    const loop = (async () => {
      for await (const message of consumer) onMessage(message.value, message.partition)
    })()
    loop.catch((error) => process.stderr.write(`samsa consumer failed: ${error.stack}\n`))
    const c = consumer.options ?? {}
    return {
      settings: {
        producer: { acks: 'all', idempotent: producer.options.idempotent, lingerMs: producer.options.lingerMs, batchSize: producer.options.batchSize, bufferMemory: producer.options.bufferMemory },
        consumer: { api: 'for await', fetchMaxWaitMs: c.fetchMaxWaitMs ?? fetchMaxWaitMs ?? 500, fetchMaxBytes: c.fetchMaxBytes ?? 52_428_800, maxPartitionFetchBytes: c.maxPartitionFetchBytes ?? 1_048_576, enableAutoCommit: c.enableAutoCommit ?? !latency, groupProtocol: 'consumer (KIP-848)' },
      },
      send: (value, partition) => producer.send({ topic, messages: [partition === undefined ? { value } : { value, partition }] }),
      sendBatch: (values) => producer.send({ topic, messages: values.map((value) => ({ value })) }),
      close: async () => {
        await consumer.close()
        await loop.catch(() => undefined)
        await producer.close()
        await kafka.close?.()
      },
    }
  }
  if (client === 'kafkajs') {
    const { Kafka, logLevel, Partitioners } = require('kafkajs')
    const kafka = new Kafka({ brokers: brokerList, clientId: `bench-${profile}`, logLevel: logLevel.NOTHING })
    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: false })
    await producer.connect()
    const consumer = kafka.consumer({ groupId, ...(latency ? { maxWaitTimeInMs: fetchMaxWaitMs } : {}) })
    await consumer.connect()
    await consumer.subscribe({ topic, fromBeginning: false })
    const running = consumer.run({
      autoCommit: !latency,
      eachMessage: async ({ partition, message }) => onMessage(message.value, partition),
    })
    running.catch((error) => process.stderr.write(`kafkajs consumer failed: ${error.stack}\n`))
    return {
      settings: {
        producer: { acks: -1, idempotent: false, lingerMs: '0 (no batching across sends)', partitioner: 'DefaultPartitioner' },
        consumer: { api: 'run({ eachMessage })', maxWaitTimeInMs: latency ? fetchMaxWaitMs : 5000, autoCommit: !latency, groupProtocol: 'classic' },
      },
      send: (value, partition) => producer.send({ topic, acks: -1, messages: [partition === undefined ? { value } : { value, partition }] }),
      sendBatch: (values) => producer.send({ topic, acks: -1, messages: values.map((value) => ({ value })) }),
      close: async () => {
        await consumer.disconnect()
        await producer.disconnect()
      },
    }
  }
  if (client === 'platformatic') {
    const { Consumer, MessagesStreamModes, Producer, ProduceAcks } = require('@platformatic/kafka')
    const producer = new Producer({ clientId: `bench-${profile}`, bootstrapBrokers: brokerList, acks: ProduceAcks.ALL, autocreateTopics: false })
    const consumer = new Consumer({ groupId, clientId: `bench-${profile}-consumer`, bootstrapBrokers: brokerList, ...(latency ? { maxWaitTime: fetchMaxWaitMs, autocommit: false } : {}) })
    const stream = await consumer.consume({ topics: [topic], mode: MessagesStreamModes.LATEST, ...(latency ? { autocommit: false, maxWaitTime: fetchMaxWaitMs } : {}) })
    stream.on('data', (message) => onMessage(message.value, message.partition))
    stream.on('error', (error) => process.stderr.write(`platformatic consumer failed: ${error.stack}\n`))
    return {
      settings: {
        producer: { acks: 'ALL', idempotent: false, lingerMs: '0 (a Produce request per send)' },
        consumer: { api: "stream 'data' events", maxWaitTime: latency ? fetchMaxWaitMs : 5000, autocommit: !latency, isolationLevel: 'READ_COMMITTED (default)', groupProtocol: 'classic' },
      },
      send: (value, partition) => producer.send({ messages: [partition === undefined ? { topic, value } : { topic, value, partition }] }),
      sendBatch: (values) => producer.send({ messages: values.map((value) => ({ topic, value })) }),
      close: async () => {
        await stream.close().catch(() => undefined)
        await consumer.close(true).catch(() => undefined)
        await producer.close().catch(() => undefined)
      },
    }
  }
  throw new Error(`unknown client ${client}`)
}

/**
 * Sends a probe to every partition not yet seen by the consumer, every 250 ms, until each partition has delivered
 * one: then the group has its assignment, positions are resolved and fetches are running. Resolves with the time
 * that took (ms). `probed` is a Uint8Array per partition that the consumer's onMessage sets.
 */
export async function waitUntilReady({ send, filler: fill, partitions, probed, timeoutMs = 120_000 }) {
  const started = performance.now()
  for (;;) {
    if (probed.every((p) => p === 1)) return performance.now() - started
    if (performance.now() - started > timeoutMs) throw new Error(`consumer not ready after ${timeoutMs / 1000} s (${probed.filter((p) => p).length} of ${partitions} partitions seen)`)
    for (let p = 0; p < partitions; p++) {
      if (!probed[p]) send(stampedValue(fill, performance.now(), p, PROBE), p).catch(() => undefined)
    }
    await new Promise((resolve) => setTimeout(resolve, 250))
  }
}

/**
 * The open-loop schedule: record i is due at start + i / rate (ms). A timer wakes every millisecond (Node's timer
 * resolution) and calls `onDue(i, scheduledMs)` for every record due by then, so the send times come from the
 * schedule, never from the previous acknowledgement: a stall delays the records behind it, and their latency,
 * measured from the scheduled time, shows it. `afterDue()` runs after each tick that made records due (to send
 * them as one call), and `shouldStop()` (checked each tick) ends the schedule early.
 * Resolves with `{ start, sent, lastSendAt, stoppedEarly, longestTickGapMs, mostDueInOneTick }`: the last two say how
 * late the timer got (a busy event loop) and how many records one tick then had to send.
 */
export function runSchedule({ rate, total, onDue, afterDue = () => {}, shouldStop = () => false }) {
  const intervalMs = 1000 / rate
  const start = performance.now() + 1
  let sent = 0
  let lastSendAt = start
  let lastTick = start
  let longestTickGapMs = 0
  let mostDueInOneTick = 0
  return new Promise((resolve) => {
    const tick = () => {
      const now = performance.now()
      longestTickGapMs = Math.max(longestTickGapMs, now - lastTick)
      lastTick = now
      if (shouldStop()) return resolve({ start, sent, lastSendAt, stoppedEarly: true, longestTickGapMs, mostDueInOneTick })
      const due = Math.min(total, Math.floor((now - start) / intervalMs) + 1)
      mostDueInOneTick = Math.max(mostDueInOneTick, due - sent)
      if (sent < due) {
        while (sent < due) {
          onDue(sent, start + sent * intervalMs)
          sent++
        }
        afterDue()
        lastSendAt = performance.now()
      }
      if (sent < total) setTimeout(tick, 1)
      else resolve({ start, sent, lastSendAt, stoppedEarly: false, longestTickGapMs, mostDueInOneTick })
    }
    setTimeout(tick, Math.max(0, start - performance.now()))
  })
}

/** Resolves when `done()` holds, or when `progress()` has not changed for `idleMs`. */
export async function drain({ done, progress, idleMs }) {
  let last = progress()
  let lastChange = performance.now()
  while (!done()) {
    await new Promise((resolve) => setTimeout(resolve, 20))
    const now = progress()
    if (now !== last) {
      last = now
      lastChange = performance.now()
    } else if (performance.now() - lastChange > idleMs) return false
  }
  return true
}
