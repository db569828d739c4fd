/**
 * The producer's accumulator and sender in virtual time, against a scripted cluster: linger, batch expiry, delivery
 * timeout, retry backoff, buffer memory, and the fault orderings idempotence must survive (retriable errors,
 * out-of-order sequence and the epoch bump, a leader move named by the response, MESSAGE_TOO_LARGE splits). No
 * broker and no sleeping: every time below is virtual milliseconds.
 */
import { KafkaError, TimeoutError } from '../../../src/errors.js'
import { RecordAccumulator } from '../../../src/producer/accumulator.js'
import { RecordBatchBuilder } from '../../../src/records/index.js'
import { Producer } from '../../../src/producer/producer.js'
import type { ProducerOptions } from '../../../src/producer/options.js'
import { ApiKeys, ErrorCodes } from '../../../src/protocol/index.js'
import { held, produceResponse, ScriptedCluster, type ScriptedRequest } from '../../helpers/scripted-cluster.js'

const { NOT_LEADER_OR_FOLLOWER, REQUEST_TIMED_OUT, OUT_OF_ORDER_SEQUENCE_NUMBER, MESSAGE_TOO_LARGE, DUPLICATE_SEQUENCE_NUMBER } = ErrorCodes

function setup(options: ProducerOptions = {}, brokers = 1): { cluster: ScriptedCluster; producer: Producer; start: number } {
  const cluster = new ScriptedCluster({ brokers })
  cluster.addTopic('t', 1)
  const producer = new Producer(cluster.context(), { lingerMs: 0, ...options })
  return { cluster, producer, start: cluster.clock.now() }
}

/** Answers every Produce request at once, offsets counting up per partition. */
function acceptAll(cluster: ScriptedCluster): void {
  const next = new Map<string, bigint>()
  cluster.on(ApiKeys.Produce, (request) =>
    produceResponse(request, (topic, partition) => {
      const key = `${topic}-${partition}`
      const offset = next.get(key) ?? 0n
      const records = producedIn(request, topic, partition)
      next.set(key, offset + BigInt(records))
      return { baseOffset: offset }
    }),
  )
}

function producedIn(request: ScriptedRequest, topic: string, partition: number): number {
  const topicData = request.body.topicData as Array<{ name: string; partitionData: Array<{ index: number; records: Buffer }> }>
  const records = topicData.find((t) => t.name === topic)!.partitionData.find((p) => p.index === partition)!.records
  return records.readInt32BE(57)
}

/** A send's outcome, observable without awaiting (virtual time must move first). */
function track<T>(promise: Promise<T>): { settled: () => boolean; value: () => T; error: () => unknown } {
  let state: 'pending' | 'resolved' | 'rejected' = 'pending'
  let value: T | undefined
  let error: unknown
  promise.then(
    (v) => ((state = 'resolved'), (value = v)),
    (e: unknown) => ((state = 'rejected'), (error = e)),
  )
  return {
    settled: () => state !== 'pending',
    value: () => {
      if (state !== 'resolved') throw new Error(`not resolved (${state}): ${String(error)}`)
      return value!
    },
    error: () => {
      if (state !== 'rejected') throw new Error(`not rejected (${state})`)
      return error
    },
  }
}

describe('producer in virtual time: linger and readiness', () => {
  it('holds a lone record for lingerMs, then sends it in one request', async () => {
    const { cluster, producer, start } = setup({ lingerMs: 50 })
    acceptAll(cluster)
    const sent = track(producer.send({ topic: 't', messages: [{ value: 'a' }] }))
    await cluster.clock.advance(49)
    expect(cluster.requestsOf(ApiKeys.Produce)).toHaveLength(0)
    await cluster.clock.advance(1)
    expect(cluster.requestsOf(ApiKeys.Produce).map((r) => r.at - start)).toEqual([50])
    await cluster.clock.advance(0)
    expect(sent.value()).toEqual([{ topic: 't', partition: 0, offset: 0n, timestamp: start, logStartOffset: 0n }])
  })

  it('sends a full batch at once, without waiting for linger', async () => {
    const { cluster, producer, start } = setup({ lingerMs: 10_000, batchSize: 1024 })
    acceptAll(cluster)
    const sent = track(producer.send({ topic: 't', messages: [{ value: Buffer.alloc(2000) }] }))
    await cluster.clock.advance(0)
    expect(cluster.requestsOf(ApiKeys.Produce).map((r) => r.at - start)).toEqual([0])
    expect(sent.value()[0]!.offset).toBe(0n)
  })

  it('a request going to a broker anyway takes the batches lingering for it, not those for other brokers (as Java)', async () => {
    const { cluster, producer, start } = setup({ lingerMs: 10_000, batchSize: 1024 }, 2)
    cluster.addTopic('u', 3, (partition) => (partition === 2 ? 2 : 1))
    acceptAll(cluster)
    const lingeringOnOne = track(producer.send({ topic: 'u', messages: [{ value: 'a', partition: 1 }] }))
    const lingeringOnTwo = track(producer.send({ topic: 'u', messages: [{ value: 'b', partition: 2 }] }))
    await cluster.clock.advance(5)
    expect(cluster.requestsOf(ApiKeys.Produce)).toHaveLength(0)

    const full = track(producer.send({ topic: 'u', messages: [{ value: Buffer.alloc(2000), partition: 0 }] }))
    await cluster.clock.advance(0)
    const requests = cluster.requestsOf(ApiKeys.Produce)
    expect(requests.map((r) => [r.nodeId, r.at - start])).toEqual([[1, 5]])
    expect(cluster.produced().map((p) => [p.partition, p.batch.recordCount]).sort()).toEqual([
      [0, 1],
      [1, 1],
    ])
    expect(full.value()[0]!.partition).toBe(0)
    expect(lingeringOnOne.value()[0]!.partition).toBe(1)

    // Broker 2 had nothing ready: its batch waits out lingerMs.
    expect(lingeringOnTwo.settled()).toBe(false)
    await cluster.clock.advance(10_000 - 5)
    expect(cluster.requestsOf(ApiKeys.Produce).map((r) => [r.nodeId, r.at - start])).toEqual([
      [1, 5],
      [2, 10_000],
    ])
    await cluster.clock.advance(0)
    expect(lingeringOnTwo.value()[0]!.partition).toBe(2)
  })

  it('flush() sends what lingers at once', async () => {
    const { cluster, producer } = setup({ lingerMs: 10_000 })
    acceptAll(cluster)
    const sent = track(producer.send({ topic: 't', messages: [{ value: 'a' }, { value: 'b' }] }))
    const flushed = track(producer.flush())
    await cluster.clock.advance(0)
    expect(cluster.produced()).toHaveLength(1)
    expect(cluster.produced()[0]!.batch.recordCount).toBe(2)
    expect(flushed.settled()).toBe(true)
    expect(sent.value().map((r) => r.offset)).toEqual([0n, 1n])
  })
})

describe('producer in virtual time: retries, backoff and deadlines', () => {
  it('retries a retriable error after retryBackoffMs, growing exponentially, with the same sequence', async () => {
    const { cluster, producer, start } = setup({ retryBackoffMs: 100, retryBackoffMaxMs: 1000 })
    let calls = 0
    cluster.on(ApiKeys.Produce, (request) => produceResponse(request, () => (++calls <= 2 ? { errorCode: NOT_LEADER_OR_FOLLOWER } : { baseOffset: 7n })))
    const sent = track(producer.send({ topic: 't', messages: [{ value: 'a' }] }))
    await cluster.clock.advance(5_000)
    const times = cluster.requestsOf(ApiKeys.Produce).map((r) => r.at - start)
    expect(times).toHaveLength(3)
    // KIP-580: 100 ms then 200 ms, each ±20 % jitter.
    expect(times[1]! - times[0]!).toBeGreaterThanOrEqual(80)
    expect(times[1]! - times[0]!).toBeLessThanOrEqual(120)
    expect(times[2]! - times[1]!).toBeGreaterThanOrEqual(160)
    expect(times[2]! - times[1]!).toBeLessThanOrEqual(240)
    // The leader error made the producer drop its metadata.
    expect(cluster.retriableErrors.map((e) => e.message)).toHaveLength(2)
    expect(cluster.metadataRefreshes).toBeGreaterThanOrEqual(2)
    const batches = cluster.produced().map((p) => [p.batch.producerId, p.batch.producerEpoch, p.batch.baseSequence])
    expect(new Set(batches.map((b) => b.join('/'))).size).toBe(1)
    expect(sent.value()[0]!.offset).toBe(7n)
  })

  it('fails a batch the broker keeps refusing once deliveryTimeoutMs has passed, and stops retrying', async () => {
    const { cluster, producer, start } = setup({ deliveryTimeoutMs: 2_000, requestTimeoutMs: 1_000, retryBackoffMs: 100, retryBackoffMaxMs: 100 })
    cluster.on(ApiKeys.Produce, (request) => produceResponse(request, () => ({ errorCode: REQUEST_TIMED_OUT })))
    const sent = track(producer.send({ topic: 't', messages: [{ value: 'a' }] }))
    await cluster.clock.advance(10_000)
    expect(sent.error()).toBeInstanceOf(TimeoutError)
    expect((sent.error() as Error).message).toMatch(/deliveryTimeoutMs/)
    const times = cluster.requestsOf(ApiKeys.Produce).map((r) => r.at - start)
    expect(Math.max(...times)).toBeLessThan(2_000)
    expect(times.length).toBeGreaterThanOrEqual(15)
  })

  it('expires a batch that never finds a leader after deliveryTimeoutMs, refreshing metadata meanwhile', async () => {
    const { cluster, producer, start } = setup({ deliveryTimeoutMs: 3_000, requestTimeoutMs: 1_000, retryBackoffMs: 100 })
    acceptAll(cluster)
    cluster.setLeader('t', 0, -1)
    const sent = track(producer.send({ topic: 't', messages: [{ value: 'a' }] }))
    await cluster.clock.advance(2_900)
    expect(sent.settled()).toBe(false)
    await cluster.clock.advance(200)
    expect(sent.error()).toBeInstanceOf(TimeoutError)
    expect((sent.error() as Error).message).toMatch(/expired after deliveryTimeoutMs \(3000 ms\) before they could be sent/)
    expect(cluster.requestsOf(ApiKeys.Produce)).toHaveLength(0)
    // One refresh per retryBackoffMs while it waited.
    expect(cluster.metadataRefreshes).toBeGreaterThanOrEqual(25)
    expect(cluster.clock.now() - start).toBe(3_100)
  })

  it('a send that finds no buffer memory waits maxBlockMs, then fails alone', async () => {
    const { cluster, producer } = setup({ bufferMemory: 20_000, batchSize: 16_384, maxBlockMs: 500 })
    const answer = held()
    cluster.on(ApiKeys.Produce, () => answer.promise)
    const first = track(producer.send({ topic: 't', messages: [{ value: Buffer.alloc(100) }] }))
    await cluster.clock.advance(0)
    expect(producer.bufferedBytes).toBe(16_384)
    const second = track(producer.send({ topic: 't', messages: [{ value: Buffer.alloc(100) }] }))
    await cluster.clock.advance(0)
    // The first batch is still in flight (one per partition until acknowledged): the second needs a new batch.
    await cluster.clock.advance(499)
    expect(second.settled()).toBe(false)
    await cluster.clock.advance(1)
    expect(second.error()).toBeInstanceOf(TimeoutError)
    expect((second.error() as Error).message).toMatch(/bufferMemory within maxBlockMs \(500 ms\)/)
    expect(first.settled()).toBe(false)
    answer.resolve(produceResponse(cluster.requestsOf(ApiKeys.Produce)[0]!, () => ({ baseOffset: 0n })))
    await cluster.clock.advance(0)
    expect(first.value()[0]!.offset).toBe(0n)
    expect(producer.bufferedBytes).toBe(0)
  })
})

describe('producer in virtual time: idempotence under scripted faults', () => {
  it('treats DUPLICATE_SEQUENCE_NUMBER as written', async () => {
    const { cluster, producer } = setup()
    cluster.on(ApiKeys.Produce, (request) => produceResponse(request, () => ({ errorCode: DUPLICATE_SEQUENCE_NUMBER, baseOffset: 3n })))
    const sent = track(producer.send({ topic: 't', messages: [{ value: 'a' }] }))
    await cluster.clock.advance(0)
    expect(sent.value()[0]!.offset).toBe(3n)
    expect(cluster.requestsOf(ApiKeys.Produce)).toHaveLength(1)
  })

  it('OUT_OF_ORDER_SEQUENCE_NUMBER with nothing earlier pending bumps the epoch and resends from sequence 0', async () => {
    const { cluster, producer } = setup()
    let calls = 0
    cluster.on(ApiKeys.Produce, (request) => produceResponse(request, () => (++calls === 1 ? { errorCode: OUT_OF_ORDER_SEQUENCE_NUMBER } : { baseOffset: 0n })))
    const sent = track(producer.send({ topic: 't', messages: [{ value: 'a' }, { value: 'b' }] }))
    await cluster.clock.advance(1_000)
    const inits = cluster.requestsOf(ApiKeys.InitProducerId).map((r) => r.body as { producerId: bigint; producerEpoch: number })
    expect(inits).toEqual([expect.objectContaining({ producerId: -1n, producerEpoch: -1 }), expect.objectContaining({ producerId: 1000n, producerEpoch: 0 })])
    const batches = cluster.produced().map((p) => [p.batch.producerId, p.batch.producerEpoch, p.batch.baseSequence])
    expect(batches).toEqual([
      [1000n, 0, 0],
      [1000n, 1, 0],
    ])
    expect(sent.value().map((r) => r.offset)).toEqual([0n, 1n])
  })

  it('a batch refused only because an earlier one must be resent follows it, in sequence order, one at a time', async () => {
    const { cluster, producer } = setup({ maxInFlightRequestsPerConnection: 5, batchSize: 100, retryBackoffMs: 50, retryBackoffMaxMs: 50 })
    // First acknowledge one batch, so the partition may pipeline.
    let phase = 0
    cluster.on(ApiKeys.Produce, (request) => {
      const first = cluster.produced().filter((p) => p.request === request)[0]!.batch
      if (phase === 0) return produceResponse(request, () => ({ baseOffset: 0n }))
      // Second phase: sequence 1 times out (retriable), sequence 2 then arrives out of order.
      if (phase === 1 && first.baseSequence === 1) return produceResponse(request, () => ({ errorCode: REQUEST_TIMED_OUT }))
      if (phase === 1 && first.baseSequence === 2) return produceResponse(request, () => ({ errorCode: OUT_OF_ORDER_SEQUENCE_NUMBER }))
      return produceResponse(request, () => ({ baseOffset: BigInt(first.baseSequence) }))
    })
    const acknowledged = track(producer.send({ topic: 't', messages: [{ value: Buffer.alloc(150) }] }))
    await cluster.clock.advance(0)
    expect(acknowledged.value()[0]!.offset).toBe(0n)
    phase = 1
    const a = track(producer.send({ topic: 't', messages: [{ value: Buffer.alloc(150) }] }))
    const b = track(producer.send({ topic: 't', messages: [{ value: Buffer.alloc(150) }] }))
    await cluster.clock.advance(0)
    phase = 2
    await cluster.clock.advance(1_000)
    const order = cluster.produced().map((p) => p.batch.baseSequence)
    // 0; then 1 and 2 pipelined; then the resends one at a time in sequence order: 1, then 2.
    expect(order).toEqual([0, 1, 2, 1, 2])
    const resends = cluster.produced().slice(3)
    expect(resends.map((p) => p.request)).toHaveLength(2)
    expect(resends[0]!.request).not.toBe(resends[1]!.request)
    expect(cluster.requestsOf(ApiKeys.InitProducerId)).toHaveLength(1)
    expect(a.value()[0]!.offset).toBe(1n)
    expect(b.value()[0]!.offset).toBe(2n)
  })

  it('resends at once to the leader a NOT_LEADER response names (KIP-951), without a metadata refresh', async () => {
    const { cluster, producer, start } = setup({ retryBackoffMs: 1_000 }, 2)
    cluster.on(ApiKeys.Produce, (request) =>
      request.nodeId === 1
        ? produceResponse(request, () => ({ errorCode: NOT_LEADER_OR_FOLLOWER, currentLeader: { leaderId: 2, leaderEpoch: 5 } }), [{ nodeId: 2, host: 'scripted', port: 9002, rack: null }])
        : produceResponse(request, () => ({ baseOffset: 11n })),
    )
    const sent = track(producer.send({ topic: 't', messages: [{ value: 'a' }] }))
    await cluster.clock.advance(0)
    expect(cluster.requestsOf(ApiKeys.Produce).map((r) => [r.nodeId, r.at - start])).toEqual([
      [1, 0],
      [2, 0],
    ])
    expect(cluster.metadataRefreshes).toBe(0)
    expect(sent.value()[0]!.offset).toBe(11n)
  })

  it('splits a batch refused as MESSAGE_TOO_LARGE into pieces that keep its sequence range, sent one at a time', async () => {
    const { cluster, producer } = setup({ batchSize: 64 * 1024, lingerMs: 5 })
    const limit = 3_000
    cluster.on(ApiKeys.Produce, (request) => {
      const batch = cluster.produced().find((p) => p.request === request)!.batch
      return produceResponse(request, () => (batch.sizeInBytes > limit ? { errorCode: MESSAGE_TOO_LARGE } : { baseOffset: BigInt(batch.baseSequence) }))
    })
    const messages = Array.from({ length: 10 }, (_, i) => ({ value: Buffer.alloc(1_000, i) }))
    const sent = track(producer.send({ topic: 't', messages }))
    await cluster.clock.advance(100)
    const produced = cluster.produced().map((p) => [p.batch.baseSequence, p.batch.recordCount, p.batch.sizeInBytes > limit])
    // 10 refused; halves (5 + 5) refused; quarters fit. Every piece starts where the previous one ended.
    expect(produced[0]).toEqual([0, 10, true])
    const accepted = produced.filter((p) => !p[2])
    expect(accepted.map((p) => p[1]).reduce((a, b) => (a as number) + (b as number), 0)).toBe(10)
    let expectSequence = 0
    for (const [sequence, count] of accepted) {
      expect(sequence).toBe(expectSequence)
      expectSequence += count as number
    }
    // One batch per request after the split.
    for (const request of cluster.requestsOf(ApiKeys.Produce)) expect(cluster.produced().filter((p) => p.request === request)).toHaveLength(1)
    expect(sent.value().map((r) => r.offset)).toEqual(Array.from({ length: 10 }, (_, i) => BigInt(i)))
  })
})

describe('producer in virtual time: adaptive partitioning', () => {
  it('stops placing unkeyed records on a broker that could not take ready batches for partitionerAvailabilityTimeoutMs', async () => {
    const cluster = new ScriptedCluster({ brokers: 2 })
    cluster.addTopic('t', 2, (p) => p + 1)
    // One request in flight per connection: the stuck broker's connection is full, as Java's client.ready() says.
    const producer = new Producer(cluster.context(), { lingerMs: 0, batchSize: 200, partitionerAvailabilityTimeoutMs: 1_000, maxInFlightRequestsPerConnection: 1 })
    const stuck = held()
    cluster.on(ApiKeys.Produce, (request) => (request.nodeId === 1 ? stuck.promise : produceResponse(request, () => ({ baseOffset: 0n }))))
    // Records with explicit partitions make both partitions known and leave partition 0's broker stuck: one batch
    // on the wire unanswered, a second one ready behind it that its full connection cannot take.
    void producer.send({ topic: 't', messages: [{ value: 'x', partition: 0 }] }).catch(() => undefined)
    await cluster.clock.advance(0)
    void producer.send({ topic: 't', messages: [{ value: 'x', partition: 0 }] }).catch(() => undefined)
    await producer.send({ topic: 't', messages: [{ value: 'x', partition: 1 }] })
    await cluster.clock.advance(1_500)
    // 300-byte unkeyed records each fill a batch (batchSize 200), so the sticky partition is drawn anew every time.
    const sends = []
    for (let i = 0; i < 40; i++) {
      sends.push(track(producer.send({ topic: 't', messages: [{ value: Buffer.alloc(300) }] })))
      await cluster.clock.advance(10)
    }
    await cluster.clock.advance(100)
    // A record drawn onto the stuck broker's partition would never be acknowledged.
    expect(sends.map((send) => (send.settled() ? send.value()[0]!.partition : 'stuck'))).toEqual(new Array(40).fill(1))
    stuck.resolve(produceResponse(cluster.requestsOf(ApiKeys.Produce).find((r) => r.nodeId === 1)!, () => ({ baseOffset: 0n })))
  })

  it('keeps a slow broker in the draw while it still takes requests, however long its answers take (as Java)', async () => {
    const cluster = new ScriptedCluster({ brokers: 2 })
    cluster.addTopic('t', 2, (p) => p + 1)
    const producer = new Producer(cluster.context(), { lingerMs: 0, batchSize: 200, partitionerAvailabilityTimeoutMs: 100 })
    // Broker 1 answers every request 500 ms late; its connection never fills up (5 in flight allowed).
    cluster.on(ApiKeys.Produce, (request) => {
      const response = produceResponse(request, () => ({ baseOffset: 0n }))
      if (request.nodeId !== 1) return response
      return new Promise((resolve) => cluster.clock.setTimeout(() => resolve(response), 500))
    })
    // Both partitions known to the accumulator (adaptive figures need every partition).
    const first = track(producer.send({ topic: 't', messages: [{ value: 'x', partition: 0 }] }))
    const second = track(producer.send({ topic: 't', messages: [{ value: 'x', partition: 1 }] }))
    await cluster.clock.advance(600)
    expect(second.settled()).toBe(true)
    expect(first.settled()).toBe(true)
    const sends = []
    for (let i = 0; i < 40; i++) {
      sends.push(producer.send({ topic: 't', messages: [{ value: Buffer.alloc(300) }] }))
      await cluster.clock.advance(50)
    }
    await cluster.clock.advance(1_000)
    const placed = (await Promise.all(sends)).map((r) => r[0]!.partition)
    // Uniform draws (queues of unsent batches stay empty): about half each; far from none on the slow broker.
    expect(placed.filter((p) => p === 0).length).toBeGreaterThanOrEqual(8)
    expect(placed.filter((p) => p === 1).length).toBeGreaterThanOrEqual(8)
  })
})

describe('producer in virtual time: its own failures stay inside it', () => {
  // Faults no broker can provoke: an exception while sealing a batch, or anywhere in the sender's loop. Either one,
  // thrown on from the timer the loop runs in, would end the application's process.
  afterEach(() => jest.restoreAllMocks())

  it('a batch that cannot be sealed fails alone, its sequence numbers given back', async () => {
    const { cluster, producer } = setup()
    acceptAll(cluster)
    const bug = new Error('sealing bug')
    jest.spyOn(RecordBatchBuilder.prototype, 'close').mockImplementationOnce(() => {
      throw bug
    })
    const first = track(producer.send({ topic: 't', messages: [{ value: 'a' }, { value: 'b' }] }))
    await cluster.clock.advance(1)
    expect(first.error()).toBeInstanceOf(KafkaError)
    expect((first.error() as KafkaError).message).toMatch(/Could not seal a batch for t-0: sealing bug/)
    expect((first.error() as KafkaError).cause).toBe(bug)
    const second = track(producer.send({ topic: 't', messages: [{ value: 'c' }] }))
    await cluster.clock.advance(1)
    expect(second.value().map((r) => r.offset)).toEqual([0n])
    // The failed batch's two sequence numbers were given back: the broker sees no gap.
    expect(cluster.produced().map((p) => [p.batch.baseSequence, p.batch.recordCount])).toEqual([[0, 1]])
  })

  it("an exception in the sender's loop fails the records it held, and the producer goes on", async () => {
    const { cluster, producer } = setup({ lingerMs: 5 })
    acceptAll(cluster)
    const bug = new Error('loop bug')
    jest.spyOn(RecordAccumulator.prototype, 'drain').mockImplementationOnce(() => {
      throw bug
    })
    const pending = track(producer.send({ topic: 't', messages: [{ value: 'a' }] }))
    await cluster.clock.advance(10)
    expect((pending.error() as KafkaError).message).toMatch(/The producer's sender failed: loop bug/)
    expect((pending.error() as KafkaError).cause).toBe(bug)
    const after = track(producer.send({ topic: 't', messages: [{ value: 'b' }] }))
    await cluster.clock.advance(10)
    expect(after.value()).toHaveLength(1)
  })
})
