// The consumer's own timers in virtual time — maxPollIntervalMs, the auto-commit interval, fetch retry backoff and
// the wait for a position — against a scripted broker (scripted-cluster.ts): one topic `t`, one partition led by
// node 1, five records. Times are virtual ms since the test's start; jitter is pinned (Math.random = 0.5).
import { Consumer } from '../../../src/consumer/consumer.js'
import type { ConsumerOptions, RebalanceEvent } from '../../../src/consumer/types.js'
import type { ClientContext } from '../../../src/kafka.js'
import { silentLogger } from '../../../src/network/instrumentation.js'
import { ApiKeys, ErrorCodes } from '../../../src/protocol/index.js'
import { encodeRecordBatch } from '../../../src/records/index.js'
import { ScriptedCluster, topLevel } from './scripted-cluster.js'

const TOPIC_ID = 'AAAAAAAAAAAAAAAAAAAAAQ'
const RECORDS = 5
/** The partition's log end; tests that need records to arrive later raise it. */
let logEnd = RECORDS
const tp = { topic: 't', partition: 0 }

/** The partition's log from `from` on, one batch per record. */
function logFrom(from: bigint): Buffer {
  const batches: Buffer[] = []
  for (let offset = from; offset < BigInt(logEnd); offset++) batches.push(encodeRecordBatch({ baseOffset: offset, records: [{ value: Buffer.from(`v${offset}`) }] }))
  return Buffer.concat(batches)
}

function fetchAnswer(partition: Record<string, unknown>): unknown {
  return topLevel(0, {
    sessionId: 0,
    responses: [
      {
        topic: 't',
        partitions: [
          { partitionIndex: 0, errorCode: 0, highWatermark: BigInt(logEnd), lastStableOffset: BigInt(logEnd), logStartOffset: 0n, abortedTransactions: null, preferredReadReplica: -1, records: null, ...partition },
        ],
      },
    ],
  })
}

interface Setup {
  cluster: ScriptedCluster
  consumer: Consumer
  start: number
  /** Virtual ms since the start of each request of `apiKey`. */
  times(apiKey: number): number[]
  /** Offsets the group has had committed, in order. */
  commits: Array<{ at: number; offset: bigint; epoch: number }>
  close(): Promise<void>
}

function setup(options: ConsumerOptions, start0: { committed?: bigint; committedEpoch?: number } = {}): Setup {
  logEnd = RECORDS
  const cluster = new ScriptedCluster({ retry: { initialBackoffMs: 100, maxBackoffMs: 1000 }, defaultApiTimeoutMs: 30_000 })
  cluster.topicSpecs = [{ name: 't', topicId: TOPIC_ID, leaders: [1] }]
  const clock = cluster.manualClock
  const start = clock.now()
  const commits: Setup['commits'] = []
  let committed = start0.committed ?? 0n
  const committedEpoch = start0.committedEpoch ?? -1
  let epoch = 0
  cluster.handle(ApiKeys.ConsumerGroupHeartbeat, ({ body }) => {
    if (body.memberEpoch === -1) return topLevel(0, { memberId: body.memberId, memberEpoch: -1, heartbeatIntervalMs: 3_000, assignment: null })
    const joining = body.memberEpoch === 0
    if (joining) epoch++
    return topLevel(0, { memberId: body.memberId, memberEpoch: epoch, heartbeatIntervalMs: 3_000, assignment: joining ? { topicPartitions: [{ topicId: TOPIC_ID, partitions: [0] }] } : null })
  })
  cluster.handle(ApiKeys.OffsetFetch, () => ({
    throttleTimeMs: 0,
    groups: [{ groupId: 'g', errorCode: 0, topics: [{ name: 't', partitions: [{ partitionIndex: 0, committedOffset: committed, committedLeaderEpoch: committedEpoch, metadata: '', errorCode: 0 }] }] }],
  }))
  cluster.handle(ApiKeys.OffsetCommit, ({ body }) => {
    const p = body.topics[0].partitions[0]
    committed = p.committedOffset
    commits.push({ at: clock.now() - start, offset: p.committedOffset, epoch: body.generationIdOrMemberEpoch })
    return { throttleTimeMs: 0, topics: [{ name: 't', partitions: [{ partitionIndex: 0, errorCode: 0 }] }] }
  })
  cluster.handle(ApiKeys.ListOffsets, () => ({ throttleTimeMs: 0, topics: [{ name: 't', partitions: [{ partitionIndex: 0, errorCode: 0, timestamp: -1n, offset: 0n, leaderEpoch: 0 }] }] }))
  // A long poll: data at once when there is some, else an empty answer after maxWaitMs.
  cluster.handle(ApiKeys.Fetch, ({ body }) => {
    const from: bigint = body.topics[0]?.partitions[0]?.fetchOffset ?? BigInt(logEnd)
    if (from >= BigInt(logEnd)) return cluster.later(body.maxWaitMs, fetchAnswer({ records: Buffer.alloc(0) }))
    return fetchAnswer({ records: logFrom(from) })
  })
  const context: ClientContext = { cluster, clientId: 'timing', logger: silentLogger, clock, release: () => cluster.close() }
  const consumer = new Consumer(context, options)
  return {
    cluster,
    consumer,
    start,
    commits,
    times: (apiKey) => cluster.requests(apiKey).map((r) => r.at - start),
    close: async () => {
      const closing = consumer.close()
      await clock.advance(1_000)
      await closing
    },
  }
}

describe('consumer timers (virtual time, scripted broker)', () => {
  beforeEach(() => {
    jest.spyOn(Math, 'random').mockReturnValue(0.5)
  })
  afterEach(() => {
    jest.restoreAllMocks()
  })

  it('maxPollIntervalMs: a member holding a message too long leaves (partitions lost, nothing committed) and rejoins at its next poll', async () => {
    const s = setup({ groupId: 'g', maxPollIntervalMs: 10_000, autoCommitIntervalMs: 5_000 })
    const clock = s.cluster.manualClock
    const events: Array<{ type: RebalanceEvent['type']; at: number }> = []
    s.consumer.on('rebalance', (event: RebalanceEvent) => events.push({ type: event.type, at: clock.now() - s.start }))
    await s.consumer.subscribe('t')
    await clock.advance(100)
    const messages = s.consumer.messages()
    const first = await messages.next()
    expect(first.value.offset).toBe(0n)
    // The application holds offset 0 from 100 on. The check runs every min(1 000, maxPollIntervalMs / 4) ms from
    // subscribe() and starts the hold's clock at the first check that sees the hand-over (1 000): at 12 000 the
    // hold counts 11 000 ms > 10 000, and the member leaves then — up to one check interval late, never early.
    await clock.advance(12_000)
    const heartbeats = s.cluster.requests(ApiKeys.ConsumerGroupHeartbeat).map((r) => ({ at: r.at - s.start, epoch: r.body.memberEpoch }))
    expect(heartbeats.filter((h) => h.epoch === -1)).toEqual([{ at: 12_000, epoch: -1 }])
    expect(heartbeats.filter((h) => h.at > 12_000)).toEqual([])
    expect(events).toEqual([
      { type: 'assigned', at: 0 },
      { type: 'lost', at: 12_000 },
    ])
    // The held message was never finished: no commit, neither by the auto-commit ticks nor on leaving.
    expect(s.commits).toEqual([])
    expect(s.consumer.assignment()).toEqual([])

    // The next poll rejoins as a new member (epoch 0) and gets the partition back from the committed offset.
    const next = messages.next()
    await clock.advance(100)
    const again = await next
    expect(again.value.offset).toBe(0n)
    const rejoin = s.cluster.requests(ApiKeys.ConsumerGroupHeartbeat).find((r) => r.at - s.start > 12_000)!
    expect([rejoin.at - s.start, rejoin.body.memberEpoch]).toEqual([12_100, 0])
    expect(events.at(-1)).toEqual({ type: 'assigned', at: 12_100 })
    await s.close()
  })

  it('maxPollIntervalMs: waiting for records is not holding one — a message arriving after a long idle wait is not held already', async () => {
    const s = setup({ groupId: 'g', maxPollIntervalMs: 10_000 }, { committed: BigInt(RECORDS) })
    const clock = s.cluster.manualClock
    await s.consumer.subscribe('t')
    const messages = s.consumer.messages()
    // The application asks at once; the partition stays empty for 30 s, three times maxPollIntervalMs.
    const next = messages.next()
    await clock.advance(30_000)
    logEnd = RECORDS + 1
    await clock.advance(1_000)
    const message = await next
    expect(message.value.offset).toBe(BigInt(RECORDS))
    // Held for 5 s: well inside the limit, so no leave (a clock started at the request would have left at once).
    await clock.advance(5_000)
    const leaves = () => s.cluster.requests(ApiKeys.ConsumerGroupHeartbeat).filter((r) => r.body.memberEpoch === -1)
    expect(leaves()).toEqual([])
    expect(s.consumer.assignment()).toEqual([tp])
    // Held past the limit, it does leave.
    await clock.advance(8_000)
    expect(leaves()).toHaveLength(1)
    await s.close()
  })

  it('auto-commit: every autoCommitIntervalMs from subscribe(), what the application finished by then, once', async () => {
    const s = setup({ groupId: 'g', autoCommitIntervalMs: 5_000 })
    const clock = s.cluster.manualClock
    await s.consumer.subscribe('t')
    await clock.advance(100)
    const messages = s.consumer.messages()
    for (let i = 0; i < 3; i++) await messages.next()
    // Offsets 0 and 1 are finished, 2 is in hand: the tick at 5 000 commits 2 (the next offset to read).
    await clock.advance(4_900)
    expect(s.commits).toEqual([{ at: 5_000, offset: 2n, epoch: 1 }])
    await messages.next()
    await clock.advance(5_000)
    // Nothing new finished before the tick at 15 000: no commit then.
    await clock.advance(5_000)
    expect(s.commits).toEqual([
      { at: 5_000, offset: 2n, epoch: 1 },
      { at: 10_000, offset: 3n, epoch: 1 },
    ])
    await s.close()
  })

  it('fetch retry backoff: a retriable partition error backs the partition off (100, then 200 ms) and refreshes metadata', async () => {
    const s = setup({ autoOffsetReset: 'earliest' })
    const clock = s.cluster.manualClock
    const notLeader = fetchAnswer({ errorCode: ErrorCodes.NOT_LEADER_OR_FOLLOWER, currentLeader: { leaderId: -1, leaderEpoch: -1 } })
    s.cluster.reply(ApiKeys.Fetch, notLeader, notLeader)
    await s.consumer.assign([tp])
    await clock.advance(1_000)
    // Fails at 0 and at 100 (+100); +200 → data at 300; then long polls from offset 5, answered every 500 ms. Each
    // failure drops the partition's leader as stale, so metadata is asked again right after it.
    expect(s.cluster.sent.map((r) => [r.api, r.at - s.start])).toEqual([
      ['Metadata', 0],
      ['ListOffsets', 0],
      ['Fetch', 0],
      ['Metadata', 0],
      ['Fetch', 100],
      ['Metadata', 100],
      ['Fetch', 300],
      ['Fetch', 300],
      ['Fetch', 800],
    ])
    expect(s.cluster.requests(ApiKeys.Fetch).map((r) => r.body.topics[0].partitions[0].fetchOffset)).toEqual([0n, 0n, 0n, 5n, 5n])
    const messages = s.consumer.messages()
    expect((await messages.next()).value.offset).toBe(0n)
    await s.close()
  })

  it('position() resolves when the offset reset answers, not on a polling tick', async () => {
    const s = setup({ autoOffsetReset: 'earliest' })
    const clock = s.cluster.manualClock
    s.cluster.reply(ApiKeys.ListOffsets, () =>
      s.cluster.later(2_000, { throttleTimeMs: 0, topics: [{ name: 't', partitions: [{ partitionIndex: 0, errorCode: 0, timestamp: -1n, offset: 3n, leaderEpoch: 0 }] }] }),
    )
    const assigning = s.consumer.assign([tp])
    await clock.advance(0)
    let resolvedAt: number | null = null
    const position = s.consumer.position(tp).then((offset) => {
      resolvedAt = clock.now() - s.start
      return offset
    })
    await clock.advance(1_999)
    expect(resolvedAt).toBeNull()
    await clock.advance(1)
    expect(await position).toBe(3n)
    expect(resolvedAt).toBe(2_000)
    await assigning
    await s.close()
  })

  it('KIP-320: a committed position with an epoch is validated before fetching; a retriable answer backs off, a truncation moves back', async () => {
    const s = setup({ groupId: 'g', enableAutoCommit: false }, { committed: 4n, committedEpoch: 0 })
    const clock = s.cluster.manualClock
    const truncations: unknown[] = []
    s.consumer.on('truncation', (event) => truncations.push({ ...event, at: clock.now() - s.start }))
    const answer = (errorCode: number, endOffset: bigint) => ({ throttleTimeMs: 0, topics: [{ topic: 't', partitions: [{ errorCode, partition: 0, leaderEpoch: 0, endOffset }] }] })
    s.cluster.reply(ApiKeys.OffsetForLeaderEpoch, answer(ErrorCodes.FENCED_LEADER_EPOCH, -1n), answer(0, 2n))
    await s.consumer.assign([tp])
    await clock.advance(150)
    // Validation at 0 is refused (retriable): backoff 100; at 100 the leader says epoch 0 ends at 2, below 4: the
    // position moves back to 2 and fetching starts there, with no fetch from 4 before it.
    expect(s.cluster.sent.filter((r) => r.api !== 'Metadata').map((r) => [r.api, r.at - s.start])).toEqual([
      ['FindCoordinator', 0],
      ['OffsetFetch', 0],
      ['OffsetForLeaderEpoch', 0],
      ['OffsetForLeaderEpoch', 100],
      ['Fetch', 100],
      ['Fetch', 100],
    ])
    expect(s.cluster.requests(ApiKeys.OffsetForLeaderEpoch).map((r) => r.body.topics[0].partitions[0])).toEqual([
      { partition: 0, currentLeaderEpoch: 0, leaderEpoch: 0 },
      { partition: 0, currentLeaderEpoch: 0, leaderEpoch: 0 },
    ])
    expect(s.cluster.requests(ApiKeys.Fetch)[0]!.body.topics[0].partitions[0].fetchOffset).toBe(2n)
    expect(truncations).toEqual([{ topic: 't', partition: 0, offset: 2n, epoch: 0, from: 4n, detectedBy: 'validation', at: 100 }])
    expect(s.consumer.fetchStats.validations).toBe(2)
    await s.close()
  })
})
