// Shared pieces of the admin integration tests: an admin client on a given bootstrap list, unique names,
// raw produce/commit helpers (so admin tests do not depend on the producer and consumer under construction),
// and the Java tools from the cached Kafka jars for cross-checks.
import { spawnSync, execFile } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { join } from 'node:path'
import { Admin } from '../../src/admin/admin.js'
import { Cluster } from '../../src/network/cluster.js'
import { saslMechanismFrom, type SaslConfig } from '../../src/network/sasl/index.js'
import { apis, ApiKeys, messageCodecs } from '../../src/protocol/index.js'
import { encodeRecordBatch, type RecordInput } from '../../src/records/index.js'
export { eventually } from '../helpers/wait.js'

export function bootstrapList(value = process.env.KAFKA_BROKERS): string[] {
  if (!value) throw new Error('KAFKA_BROKERS is not set: run through jest (global setup starts a broker)')
  return value.split(',')
}

export interface TestAdmin {
  admin: Admin
  cluster: Cluster
  close(): Promise<void>
}

export function openCluster(brokers: string[], sasl?: SaslConfig): Cluster {
  return new Cluster({
    brokers,
    clientId: 'samsa-admin-test',
    sasl: sasl ? saslMechanismFrom(sasl) : null,
    retry: { retries: 8, initialBackoffMs: 100, maxBackoffMs: 1000 },
  })
}

export function openAdmin(brokers: string[] = bootstrapList()): TestAdmin {
  const cluster = openCluster(brokers)
  const admin = new Admin({ cluster, release: () => cluster.close() })
  return { admin, cluster, close: () => admin.close() }
}

let counter = 0
export function uniqueName(label: string): string {
  counter += 1
  return `admin-${label}-${process.pid}-${Date.now().toString(36)}-${counter}`
}

/** Appends `values` to one partition with a raw Produce at the leader; returns the base offset. */
export function produceValues(cluster: Cluster, topic: string, partition: number, values: string[]): Promise<bigint> {
  return produceRecords(cluster, topic, partition, values.map((value, i) => ({ key: `k${i}`, value })))
}

/** Writes one batch of `input` with a raw Produce (acks=all); returns its base offset. */
export async function produceRecords(cluster: Cluster, topic: string, partition: number, input: RecordInput[]): Promise<bigint> {
  const records = encodeRecordBatch({ records: input })
  const response = await cluster.send(
    { kind: 'leader', topic, partition },
    apis[ApiKeys.Produce] as never,
    { acks: -1, timeoutMs: 10_000, topicData: [{ name: topic, partitionData: [{ index: partition, records }] }] } as never,
    // Produce v13 keys topics by id; names keep this helper simple. A just-created topic's leader may not be
    // known to the broker yet: the partition's code is returned so that the request path retries it.
    {
      version: (v: number) => Math.min(v, 12),
      errorCode: (r: { responses: Array<{ partitionResponses: Array<{ errorCode: number }> }> }) => r.responses[0]!.partitionResponses[0]!.errorCode,
    } as never,
  )
  const p = (response as { responses: Array<{ partitionResponses: Array<{ errorCode: number; baseOffset: bigint }> }> }).responses[0]!
    .partitionResponses[0]!
  if (p.errorCode !== 0) throw new Error(`produce failed with error code ${p.errorCode}`)
  return p.baseOffset
}

/** Commits offsets for a group with no members (an "empty classic group", as admin tools do). */
export async function commitOffsets(cluster: Cluster, groupId: string, offsets: Array<{ topic: string; partition: number; offset: bigint }>): Promise<void> {
  const response = (await cluster.send(
    { kind: 'coordinator', type: 'group', key: groupId },
    apis[ApiKeys.OffsetCommit] as never,
    {
      groupId,
      generationIdOrMemberEpoch: -1,
      memberId: '',
      groupInstanceId: null,
      topics: offsets.map((o) => ({ name: o.topic, partitions: [{ partitionIndex: o.partition, committedOffset: o.offset, committedLeaderEpoch: -1, committedMetadata: '' }] })),
    } as never,
    {
      purpose: 'group',
      version: (v: number) => Math.min(v, 9),
      // A fresh broker is still creating __consumer_offsets: retriable coordinator codes come per partition.
      errorCode: (r: { topics: Array<{ partitions: Array<{ errorCode: number }> }> }) => r.topics[0]?.partitions[0]?.errorCode ?? 0,
    } as never,
  )) as { topics: Array<{ partitions: Array<{ errorCode: number }> }> }
  for (const t of response.topics) for (const p of t.partitions) if (p.errorCode !== 0) throw new Error(`commit failed with error code ${p.errorCode}`)
}

let jarsDir: string | null = null
/** The cached Kafka jars (resolved through scripts/kafka/jars.mjs, which never runs Maven when cached). */
export function kafkaJars(): string {
  if (jarsDir) return jarsDir
  const module = join(__dirname, '..', '..', 'scripts', 'kafka', 'jars.mjs')
  const versions = join(__dirname, '..', '..', 'scripts', 'lib', 'versions.mjs')
  const program = `Promise.all([import(${JSON.stringify(module)}), import(${JSON.stringify(versions)})]).then(([m, v]) => console.log(JSON.stringify(m.resolveKafkaJars(v.KAFKA_VERSION))))`
  const result = spawnSync(process.execPath, ['-e', program], { encoding: 'utf8' })
  if (result.status !== 0) throw new Error(`resolving the Kafka jars failed: ${result.stderr}`)
  jarsDir = (JSON.parse(result.stdout) as { libDir: string }).libDir
  return jarsDir
}

/** Runs a Kafka command-line tool class from the cached jars; resolves with its stdout. */
export function runJavaTool(mainClass: string, args: string[], timeoutMs = 90_000): Promise<string> {
  const classpath = join(kafkaJars(), '*')
  return new Promise((resolve, reject) => {
    execFile(
      process.env.JAVA_HOME ? join(process.env.JAVA_HOME, 'bin', 'java') : 'java',
      ['-Xmx256m', '-XX:TieredStopAtLevel=1', '-cp', classpath, mainClass, ...args],
      { timeout: timeoutMs, maxBuffer: 16 << 20 },
      (error, stdout, stderr) => (error ? reject(new Error(`${mainClass} failed: ${error.message}\n${stderr}`)) : resolve(stdout)),
    )
  })
}


function versioned(codec: { encode(version: number, value: never): Buffer }, version: number, value: unknown): Buffer {
  const prefix = Buffer.alloc(2)
  prefix.writeInt16BE(version, 0)
  return Buffer.concat([prefix, codec.encode(version, value as never)])
}

/**
 * Joins a classic consumer group as a static member that is also the leader and assigns itself `partitions` of
 * `topic` (JoinGroup + SyncGroup by hand). The member stays until its session times out or it is removed.
 */
export async function joinClassicGroup(
  cluster: Cluster,
  groupId: string,
  groupInstanceId: string,
  topic: string,
  partitions: number[],
): Promise<{ memberId: string; generationId: number }> {
  const target = { kind: 'coordinator', type: 'group', key: groupId } as const
  const subscription = versioned(messageCodecs.ConsumerProtocolSubscription, 1, { topics: [topic], userData: null, ownedPartitions: [] })
  const joined = (await cluster.send(
    target,
    apis[ApiKeys.JoinGroup] as never,
    {
      groupId,
      sessionTimeoutMs: 45_000,
      rebalanceTimeoutMs: 30_000,
      memberId: '',
      groupInstanceId,
      protocolType: 'consumer',
      protocols: [{ name: 'range', metadata: subscription }],
      reason: null,
    } as never,
    { purpose: 'group', timeoutMs: 60_000, errorCode: (r: { errorCode: number }) => r.errorCode } as never,
  )) as { errorCode: number; generationId: number; memberId: string; protocolName: string | null }
  if (joined.errorCode !== 0) throw new Error(`JoinGroup failed with ${joined.errorCode}`)
  const assignment = versioned(messageCodecs.ConsumerProtocolAssignment, 1, { assignedPartitions: [{ topic, partitions }], userData: null })
  const synced = (await cluster.send(
    target,
    apis[ApiKeys.SyncGroup] as never,
    {
      groupId,
      generationId: joined.generationId,
      memberId: joined.memberId,
      groupInstanceId,
      protocolType: 'consumer',
      protocolName: joined.protocolName,
      assignments: [{ memberId: joined.memberId, assignment }],
    } as never,
    { purpose: 'group', timeoutMs: 60_000, errorCode: (r: { errorCode: number }) => r.errorCode } as never,
  )) as { errorCode: number }
  if (synced.errorCode !== 0) throw new Error(`SyncGroup failed with ${synced.errorCode}`)
  return { memberId: joined.memberId, generationId: joined.generationId }
}

/** Joins a KIP-848 consumer group (ConsumerGroupHeartbeat) subscribed to `topic`, heartbeating until it has an assignment. */
export async function joinConsumerGroup(cluster: Cluster, groupId: string, topic: string): Promise<{ memberId: string; memberEpoch: number }> {
  const memberId = randomUUID().replace(/-/g, '').slice(0, 22)
  let memberEpoch = 0
  for (let beat = 0; beat < 30; beat++) {
    const response = (await cluster.send(
      { kind: 'coordinator', type: 'group', key: groupId },
      apis[ApiKeys.ConsumerGroupHeartbeat] as never,
      {
        groupId,
        memberId,
        memberEpoch,
        instanceId: null,
        rackId: null,
        rebalanceTimeoutMs: 30_000,
        subscribedTopicNames: beat === 0 ? [topic] : null,
        serverAssignor: null,
        topicPartitions: beat === 0 ? [] : null,
      } as never,
      { purpose: 'group', errorCode: (r: { errorCode: number }) => r.errorCode } as never,
    )) as { errorCode: number; memberEpoch: number; assignment: { topicPartitions: unknown[] } | null }
    if (response.errorCode !== 0) throw new Error(`ConsumerGroupHeartbeat failed with ${response.errorCode}`)
    memberEpoch = response.memberEpoch
    if (response.assignment && response.assignment.topicPartitions.length > 0) return { memberId, memberEpoch }
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
  throw new Error('no assignment after 30 heartbeats')
}

/** Joins a share group (ShareGroupHeartbeat) subscribed to `topic`. */
export async function joinShareGroup(cluster: Cluster, groupId: string, topic: string): Promise<string> {
  const memberId = randomUUID().replace(/-/g, '').slice(0, 22)
  let memberEpoch = 0
  for (let beat = 0; beat < 30; beat++) {
    const response = (await cluster.send(
      { kind: 'coordinator', type: 'group', key: groupId },
      apis[ApiKeys.ShareGroupHeartbeat] as never,
      { groupId, memberId, memberEpoch, rackId: null, subscribedTopicNames: beat === 0 ? [topic] : null } as never,
      { purpose: 'group', errorCode: (r: { errorCode: number }) => r.errorCode } as never,
    )) as { errorCode: number; memberEpoch: number; assignment: { topicPartitions: unknown[] } | null }
    if (response.errorCode !== 0) throw new Error(`ShareGroupHeartbeat failed with ${response.errorCode}`)
    memberEpoch = response.memberEpoch
    if (response.assignment && response.assignment.topicPartitions.length > 0) return memberId
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
  throw new Error('no share assignment after 30 heartbeats')
}

/** Leaves a share group (ShareGroupHeartbeat with epoch -1). */
export async function leaveShareGroup(cluster: Cluster, groupId: string, memberId: string): Promise<void> {
  const response = (await cluster.send(
    { kind: 'coordinator', type: 'group', key: groupId },
    apis[ApiKeys.ShareGroupHeartbeat] as never,
    { groupId, memberId, memberEpoch: -1, rackId: null, subscribedTopicNames: null } as never,
    { purpose: 'group' } as never,
  )) as { errorCode: number }
  if (response.errorCode !== 0) throw new Error(`leaving the share group failed with ${response.errorCode}`)
}

/**
 * Joins a streams group (StreamsGroupHeartbeat, KIP-1071) with a one-subtopology topology reading `topic`, heartbeating
 * until the member has active tasks. `leave` sends the leaving heartbeat (epoch -1).
 */
export async function joinStreamsGroup(cluster: Cluster, groupId: string, topic: string): Promise<{ memberId: string; leave(): Promise<void> }> {
  const memberId = randomUUID().replace(/-/g, '').slice(0, 22)
  const target = { kind: 'coordinator', type: 'group', key: groupId } as const
  let memberEpoch = 0
  const beat = (body: Record<string, unknown>) =>
    cluster.send(target, apis[ApiKeys.StreamsGroupHeartbeat] as never, { groupId, memberId, endpointInformationEpoch: 0, ...body } as never, {
      purpose: 'group',
      errorCode: (r: { errorCode: number }) => r.errorCode,
    } as never) as Promise<{
      errorCode: number
      errorMessage: string | null
      memberEpoch: number
      activeTasks: unknown[] | null
    }>
  for (let i = 0; i < 40; i++) {
    const first = i === 0
    const response = await beat({
      memberEpoch,
      instanceId: null,
      rackId: null,
      rebalanceTimeoutMs: first ? 30_000 : -1,
      topology: first
        ? {
            epoch: 0,
            subtopologies: [
              { subtopologyId: '0', sourceTopics: [topic], sourceTopicRegex: [], stateChangelogTopics: [], repartitionSinkTopics: [], repartitionSourceTopics: [], copartitionGroups: [] },
            ],
          }
        : null,
      activeTasks: first ? [] : null,
      standbyTasks: first ? [] : null,
      warmupTasks: first ? [] : null,
      processId: first ? 'samsa-admin-test-process' : null,
      userEndpoint: null,
      clientTags: first ? [] : null,
      taskOffsets: null,
      taskEndOffsets: null,
      shutdownApplication: false,
    })
    if (response.errorCode !== 0) throw new Error(`StreamsGroupHeartbeat failed with ${response.errorCode}: ${response.errorMessage}`)
    memberEpoch = response.memberEpoch
    if (response.activeTasks && response.activeTasks.length > 0) {
      return {
        memberId,
        leave: async () => {
          const left = await beat({ memberEpoch: -1, shutdownApplication: false })
          if (left.errorCode !== 0) throw new Error(`leaving the streams group failed with ${left.errorCode}`)
        },
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
  throw new Error('no streams tasks after 40 heartbeats')
}
