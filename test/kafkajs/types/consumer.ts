/** A KafkaJS consumer program (see config.ts for how types.test.ts uses these files). */
import {
  Kafka,
  AssignerProtocol,
  PartitionAssigners,
  type Consumer,
  type ConsumerConfig,
  type ConsumerRunConfig,
  type ConsumerSubscribeTopics,
  type ConsumerSubscribeTopic,
  type EachMessagePayload,
  type EachBatchPayload,
  type EachMessageHandler,
  type EachBatchHandler,
  type ConsumerEachMessagePayload,
  type ConsumerEachBatchPayload,
  type KafkaMessage,
  type Batch,
  type IHeaders,
  type TopicPartitions,
  type TopicPartitionOffsetAndMetadata,
  type GroupDescription,
  type MemberDescription,
  type ConsumerGroupState,
  type OffsetsByTopicPartition,
  type PartitionAssigner,
  type Assigner,
  type GroupMember,
  type GroupMemberAssignment,
  type GroupState,
  type MemberMetadata,
  type MemberAssignment,
  type Assignment,
  type ConsumerEvents,
  type ConsumerHeartbeatEvent,
  type ConsumerCommitOffsetsEvent,
  type ConsumerGroupJoinEvent,
  type ConsumerFetchStartEvent,
  type ConsumerFetchEvent,
  type ConsumerStartBatchProcessEvent,
  type ConsumerEndBatchProcessEvent,
  type ConsumerCrashEvent,
  type ConsumerRebalancingEvent,
  type ConsumerReceivedUnsubcribedTopicsEvent,
  type IMemberAssignment,
  type RequestEvent,
  type InstrumentationEvent,
} from 'kafkajs'

const kafka = new Kafka({ clientId: 'consumer-app', brokers: ['kafka:9092'] })

// A sticky-ish assigner of one's own, built on KafkaJS's AssignerProtocol encoders.
const everythingToTheLeader: PartitionAssigner = ({ cluster, groupId, logger }) => {
  const assigner: Assigner = {
    name: 'EverythingToTheLeader',
    version: 1,
    async assign({ members, topics }: { members: GroupMember[]; topics: string[] }): Promise<GroupMemberAssignment[]> {
      logger.info('assigning', { groupId })
      const assignment: Assignment = {}
      for (const topic of topics) {
        await cluster.addTargetTopic(topic)
        assignment[topic] = cluster.findTopicPartitionMetadata(topic).map((metadata) => metadata.partitionId)
      }
      const [leader, ...others] = [...members].sort((a, b) => a.memberId.localeCompare(b.memberId))
      if (!leader) return []
      const decoded: MemberMetadata | null = AssignerProtocol.MemberMetadata.decode(leader.memberMetadata)
      const userData = decoded ? decoded.userData : Buffer.alloc(0)
      const encode = (given: Assignment): Buffer => AssignerProtocol.MemberAssignment.encode({ version: 1, assignment: given, userData })
      return [{ memberId: leader.memberId, memberAssignment: encode(assignment) }, ...others.map(({ memberId }) => ({ memberId, memberAssignment: encode({}) }))]
    },
    protocol({ topics }: { topics: string[] }): GroupState {
      return { name: 'EverythingToTheLeader', metadata: AssignerProtocol.MemberMetadata.encode({ version: 1, topics, userData: Buffer.alloc(0) }) }
    },
  }
  return assigner
}

const config: ConsumerConfig = {
  groupId: 'group',
  partitionAssigners: [everythingToTheLeader, PartitionAssigners.roundRobin],
  metadataMaxAge: 300_000,
  sessionTimeout: 30_000,
  rebalanceTimeout: 60_000,
  heartbeatInterval: 3_000,
  maxBytesPerPartition: 1_048_576,
  minBytes: 1,
  maxBytes: 10_485_760,
  maxWaitTimeInMs: 5_000,
  retry: { retries: 10, restartOnFailure: async (error: Error) => error.name !== 'KafkaJSNonRetriableError' },
  allowAutoTopicCreation: false,
  maxInFlightRequests: 5,
  readUncommitted: true,
  rackId: 'rack-a',
}
export const consumer: Consumer = kafka.consumer(config)
export const minimal: Consumer = kafka.consumer({ groupId: 'minimal' })

function describeMessage(message: KafkaMessage): string {
  const { key, value, timestamp, attributes, offset, size } = message
  const headers: IHeaders | undefined = message.headers
  const traceId = headers?.['trace-id']?.toString()
  return `${key?.toString()} ${value?.toString()} ${timestamp} ${attributes} ${offset} ${size} ${traceId}`
}

const eachMessage: EachMessageHandler = async ({ topic, partition, message, heartbeat, pause }: EachMessagePayload) => {
  console.log(topic, partition, describeMessage(message))
  await heartbeat()
  if (message.value === null) {
    const resume: () => void = pause()
    setTimeout(resume, 1000)
  }
}

const eachBatch: EachBatchHandler = async (payload: EachBatchPayload) => {
  const { batch, resolveOffset, heartbeat, commitOffsetsIfNecessary, uncommittedOffsets, isRunning, isStale, pause } = payload
  const { topic, partition, highWatermark, messages }: Batch = batch
  const summary: Array<string | null | boolean> = [batch.isEmpty(), batch.firstOffset(), batch.lastOffset(), batch.offsetLag(), batch.offsetLagLow()]
  console.log(topic, partition, highWatermark, summary)
  for (const message of messages) {
    if (!isRunning() || isStale()) break
    console.log(describeMessage(message))
    resolveOffset(message.offset)
    await heartbeat()
  }
  const pending: OffsetsByTopicPartition = uncommittedOffsets()
  await commitOffsetsIfNecessary(pending)
  await commitOffsetsIfNecessary()
  if (messages.length === 0) pause()
}

export async function consume(): Promise<void> {
  await consumer.connect()
  const topics: ConsumerSubscribeTopics = { topics: ['a', /^b-.*/], fromBeginning: true }
  await consumer.subscribe(topics)
  const legacy: ConsumerSubscribeTopic = { topic: 'c', fromBeginning: false }
  await consumer.subscribe(legacy)
  await consumer.subscribe({ topic: /^d-.*/ })

  const byMessage: ConsumerRunConfig = { eachMessage, autoCommit: true, autoCommitInterval: 5000, autoCommitThreshold: 100, partitionsConsumedConcurrently: 3 }
  await consumer.run(byMessage)
  await minimal.run({ eachBatch, eachBatchAutoResolve: false, autoCommit: false, autoCommitInterval: null, autoCommitThreshold: null })
  await minimal.run()
  await minimal.run({
    eachMessage: async (payload: ConsumerEachMessagePayload) => console.log(payload.topic),
  })
  await minimal.run({
    eachBatch: async (payload: ConsumerEachBatchPayload) => console.log(payload.batch.topic),
  })

  const offsets: TopicPartitionOffsetAndMetadata[] = [
    { topic: 'a', partition: 0, offset: '10' },
    { topic: 'a', partition: 1, offset: '11', metadata: 'why' },
    { topic: 'a', partition: 2, offset: '12', metadata: null },
  ]
  await consumer.commitOffsets(offsets)
  consumer.seek({ topic: 'a', partition: 0, offset: '0' })
  consumer.pause([{ topic: 'a' }, { topic: 'b', partitions: [0, 1] }])
  const paused: TopicPartitions[] = consumer.paused()
  consumer.resume(paused.map(({ topic, partitions }) => ({ topic, partitions })))

  const group: GroupDescription = await consumer.describeGroup()
  const state: ConsumerGroupState = group.state
  const members: MemberDescription[] = group.members
  for (const { clientHost, clientId, memberId, memberAssignment, memberMetadata } of members) {
    const assignment: MemberAssignment | null = AssignerProtocol.MemberAssignment.decode(memberAssignment)
    console.log(clientHost, clientId, memberId, assignment?.assignment, memberMetadata.length)
  }
  console.log(group.groupId, group.protocol, group.protocolType, state)

  await consumer.stop()
  await consumer.disconnect()
}

export function events(): Array<() => void> {
  const names: ConsumerEvents = consumer.events
  return [
    consumer.on(names.HEARTBEAT, ({ payload }: ConsumerHeartbeatEvent) => console.log(payload.groupId, payload.memberId, payload.groupGenerationId)),
    consumer.on(names.COMMIT_OFFSETS, ({ payload }: ConsumerCommitOffsetsEvent) => console.log(payload.topics.map((t) => t.partitions.map((p) => p.offset)))),
    consumer.on(names.GROUP_JOIN, ({ payload }: ConsumerGroupJoinEvent) => {
      const assignment: IMemberAssignment = payload.memberAssignment
      console.log(payload.duration, payload.groupId, payload.isLeader, payload.leaderId, payload.groupProtocol, payload.memberId, assignment)
    }),
    consumer.on(names.FETCH_START, ({ payload }: ConsumerFetchStartEvent) => console.log(payload.nodeId)),
    consumer.on(names.FETCH, ({ payload }: ConsumerFetchEvent) => console.log(payload.numberOfBatches, payload.duration, payload.nodeId)),
    consumer.on(names.START_BATCH_PROCESS, ({ payload }: ConsumerStartBatchProcessEvent) => {
      const { topic, partition, highWatermark, offsetLag, offsetLagLow, batchSize, firstOffset, lastOffset } = payload
      console.log(topic, partition, highWatermark, offsetLag, offsetLagLow, batchSize, firstOffset, lastOffset)
    }),
    consumer.on(names.END_BATCH_PROCESS, ({ payload }: ConsumerEndBatchProcessEvent) => console.log(payload.duration, payload.batchSize)),
    consumer.on(names.CONNECT, (event) => console.log(event.type)),
    consumer.on(names.DISCONNECT, (event) => console.log(event.type)),
    consumer.on(names.STOP, (event: InstrumentationEvent<null>) => console.log(event.type)),
    consumer.on(names.CRASH, ({ payload }: ConsumerCrashEvent) => console.log(payload.error.message, payload.groupId, payload.restart)),
    consumer.on(names.REBALANCING, ({ payload }: ConsumerRebalancingEvent) => console.log(payload.groupId, payload.memberId)),
    consumer.on(names.RECEIVED_UNSUBSCRIBED_TOPICS, ({ payload }: ConsumerReceivedUnsubcribedTopicsEvent) => {
      const { groupId, generationId, memberId, assignedTopics, topicsSubscribed, topicsNotSubscribed } = payload
      console.log(groupId, generationId, memberId, assignedTopics, topicsSubscribed, topicsNotSubscribed)
    }),
    consumer.on(names.REQUEST, ({ payload }: RequestEvent) => console.log(payload.apiName)),
    consumer.on(names.REQUEST_TIMEOUT, ({ payload }) => console.log(payload.correlationId)),
    consumer.on(names.REQUEST_QUEUE_SIZE, ({ payload }) => console.log(payload.queueSize)),
    consumer.on('consumer.crash', (event) => console.log(event.payload.error)),
  ]
}

export const logger = consumer.logger()
