/**
 * Classic static membership (KIP-345) on the real broker: a static member that closes without LeaveGroup and comes
 * back within the session timeout takes its old place (same partitions, same generation, the other member sees no
 * rebalance); a second process with the same instance id fences the first, which stops with FENCED_INSTANCE_ID.
 */
import type { Cluster } from '../../src/network/cluster.js'
import { KafkaProtocolError, type KafkaError } from '../../src/errors.js'
import type { RebalanceEvent } from '../../src/consumer/types.js'
import { createTopic, newCluster, newConsumer, uniqueName, waitFor } from './consumer-support.js'

const FENCED_INSTANCE_ID = 82

describe('classic static membership', () => {
  let cluster: Cluster
  beforeAll(() => {
    cluster = newCluster()
  })
  afterAll(() => cluster.close())

  it('a restarted static member gets its partitions back without a rebalance; a duplicate instance id fences the old one', async () => {
    const topic = uniqueName('static-classic')
    const groupId = uniqueName('g')
    await createTopic(cluster, topic, 4)
    const common = { groupId, groupProtocol: 'classic' as const, autoOffsetReset: 'earliest' as const, sessionTimeoutMs: 30_000, heartbeatIntervalMs: 500 }
    const a = newConsumer(cluster, { ...common, groupInstanceId: 'instance-a' })
    await a.subscribe([topic])
    await a.waitForAssignment({ timeoutMs: 30_000, minPartitions: 4 })
    const b = newConsumer(cluster, { ...common, groupInstanceId: 'instance-b' })
    await b.subscribe([topic])
    await waitFor(() => a.assignment().length === 2 && b.assignment().length === 2, 60_000, 'two members with two partitions each')
    // Let the group settle (both members synced at the same generation) before measuring "no rebalance".
    await waitFor(() => a.groupMetadata().generationId === b.groupMetadata().generationId, 30_000, 'one generation')
    const generation = b.groupMetadata().generationId
    const aPartitions = a.assignment().map((p) => p.partition).sort()
    const bPartitions = b.assignment().map((p) => p.partition).sort()
    const bEvents: RebalanceEvent[] = []
    b.on('rebalance', (event: RebalanceEvent) => bEvents.push(event))

    await a.close() // static + classic: no LeaveGroup, the coordinator keeps instance-a's place for the session timeout
    const a2 = newConsumer(cluster, { ...common, groupInstanceId: 'instance-a' })
    await a2.subscribe([topic])
    await a2.waitForAssignment({ timeoutMs: 30_000, minPartitions: 2 })
    expect(a2.assignment().map((p) => p.partition).sort()).toEqual(aPartitions)
    expect(a2.groupMetadata().generationId).toBe(generation)
    // A few heartbeats of b: a rebalance would have shown up as REBALANCE_IN_PROGRESS → rejoin → new generation.
    await new Promise((resolve) => setTimeout(resolve, 2_000))
    expect(b.groupMetadata().generationId).toBe(generation)
    expect(b.assignment().map((p) => p.partition).sort()).toEqual(bPartitions)
    expect(bEvents).toEqual([])

    // A second process claiming instance-a replaces a2; a2 learns at its next heartbeat and stops with a typed error.
    const a2Errors: KafkaError[] = []
    a2.on('error', (error: KafkaError) => a2Errors.push(error))
    const a3 = newConsumer(cluster, { ...common, groupInstanceId: 'instance-a' })
    await a3.subscribe([topic])
    await a3.waitForAssignment({ timeoutMs: 30_000, minPartitions: 2 })
    await waitFor(() => a2Errors.length > 0, 30_000, 'the fenced member to report its error')
    expect(a2Errors[0]).toBeInstanceOf(KafkaProtocolError)
    expect((a2Errors[0] as KafkaProtocolError).code).toBe(FENCED_INSTANCE_ID)
    expect((a2Errors[0] as KafkaProtocolError).errorName).toBe('FENCED_INSTANCE_ID')
    // The fenced member's iterator surfaces the same error instead of silently stopping.
    await expect(a2[Symbol.asyncIterator]().next()).rejects.toBe(a2Errors[0])
    expect(a3.assignment().map((p) => p.partition).sort()).toEqual(aPartitions)
    await a2.close().catch(() => undefined)
    await a3.close()
    await b.close()
  })
})
