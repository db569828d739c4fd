/** A KafkaJS producer program (see config.ts for how types.test.ts uses these files). */
import {
  Kafka,
  Partitioners,
  CompressionTypes,
  CompressionCodecs,
  type Producer,
  type ProducerConfig,
  type ProducerRecord,
  type ProducerBatch,
  type RecordMetadata,
  type Message,
  type TopicMessages,
  type Transaction,
  type ICustomPartitioner,
  type PartitionerArgs,
  type PartitionMetadata,
  type IHeaders,
  type Offsets,
  type ProducerEvents,
  type ConnectEvent,
  type DisconnectEvent,
  type RequestEvent,
  type RequestTimeoutEvent,
  type RequestQueueSizeEvent,
  type InstrumentationEvent,
  type RemoveInstrumentationEventListener,
} from 'kafkajs'

const kafka = new Kafka({ clientId: 'producer-app', brokers: ['kafka:9092'] })

// A partitioner of one's own: KafkaJS calls the factory once, then the function per message.
const byKeyLength: ICustomPartitioner = () => ({ topic, partitionMetadata, message }: PartitionerArgs): number => {
  const partitions: PartitionMetadata[] = partitionMetadata
  const leaders = partitions.map(({ partitionId, leader, replicas, isr, partitionErrorCode, offlineReplicas }) => [partitionId, leader, replicas.length, isr.length, partitionErrorCode, offlineReplicas?.length])
  void leaders
  const key = message.key === null || message.key === undefined ? '' : message.key.toString()
  return (key.length + topic.length) % partitions.length
}

const configs: ProducerConfig[] = [
  {},
  { createPartitioner: Partitioners.DefaultPartitioner },
  { createPartitioner: Partitioners.LegacyPartitioner },
  { createPartitioner: Partitioners.JavaCompatiblePartitioner },
  { createPartitioner: byKeyLength, retry: { retries: 3 }, metadataMaxAge: 60_000, allowAutoTopicCreation: false },
  { idempotent: true, maxInFlightRequests: 1 },
  { transactionalId: 'my-tx', idempotent: true, transactionTimeout: 30_000, maxInFlightRequests: 1 },
]
export const producers: Producer[] = configs.map((config) => kafka.producer(config))

const headers: IHeaders = { 'correlation-id': '2bfb68bb', system: Buffer.from('x'), many: ['a', Buffer.from('b')], absent: undefined }
const messages: Message[] = [
  { value: 'hello' },
  { key: 'key', value: Buffer.from('v'), partition: 0, headers, timestamp: Date.now().toString() },
  { key: null, value: null },
  { key: Buffer.from('k'), value: 'v' },
]

export async function send(producer: Producer): Promise<RecordMetadata[]> {
  await producer.connect()
  const record: ProducerRecord = { topic: 'topic', messages, acks: -1, timeout: 30_000, compression: CompressionTypes.GZIP }
  const metadata: RecordMetadata[] = await producer.send(record)
  for (const { topicName, partition, errorCode, offset, timestamp, baseOffset, logAppendTime, logStartOffset } of metadata) {
    console.log(topicName, partition, errorCode, offset, timestamp, baseOffset, logAppendTime, logStartOffset)
  }
  await producer.send({ topic: 'topic', messages: [{ value: 'x' }] })
  await producer.send({ topic: 'topic', messages, acks: 0, compression: CompressionTypes.None })
  await producer.send({ topic: 'topic', messages, acks: 1, compression: CompressionTypes.Snappy })
  await producer.send({ topic: 'topic', messages, compression: CompressionTypes.LZ4 })
  await producer.send({ topic: 'topic', messages, compression: CompressionTypes.ZSTD })

  const topicMessages: TopicMessages[] = [
    { topic: 'a', messages },
    { topic: 'b', messages: [{ value: 'b' }] },
  ]
  const batch: ProducerBatch = { topicMessages, acks: -1, timeout: 1000, compression: CompressionTypes.None }
  const batchMetadata: RecordMetadata[] = await producer.sendBatch(batch)
  const idempotent: boolean = producer.isIdempotent()
  void idempotent
  await producer.disconnect()
  return batchMetadata
}

export async function transactional(producer: Producer): Promise<void> {
  const transaction: Transaction = await producer.transaction()
  try {
    await transaction.send({ topic: 'topic', messages })
    await transaction.sendBatch({ topicMessages: [{ topic: 'topic', messages }] })
    const offsets: Offsets = { topics: [{ topic: 'in', partitions: [{ partition: 0, offset: '42' }] }] }
    await transaction.sendOffsets({ consumerGroupId: 'group', ...offsets })
    const active: boolean = transaction.isActive()
    if (active) await transaction.commit()
  } catch (error) {
    await transaction.abort()
    throw error
  }
}

// Custom codecs are registered on CompressionCodecs, KafkaJS's way of adding Snappy/LZ4/ZSTD.
export function registerCodecs(): void {
  const codec = () => ({ compress: async (encoder: { buffer: Buffer }) => encoder.buffer, decompress: async (buffer: Buffer) => buffer })
  CompressionCodecs[CompressionTypes.Snappy] = codec
  CompressionCodecs[CompressionTypes.LZ4] = codec
  CompressionCodecs[CompressionTypes.ZSTD] = codec
  const gzip: () => unknown = CompressionCodecs[CompressionTypes.GZIP]
  void gzip
}

export function events(producer: Producer): Array<RemoveInstrumentationEventListener<string>> {
  const names: ProducerEvents = producer.events
  const { CONNECT, DISCONNECT, REQUEST, REQUEST_TIMEOUT, REQUEST_QUEUE_SIZE } = names
  return [
    producer.on(CONNECT, (event: ConnectEvent) => console.log(event.id, event.type, event.timestamp, event.payload)),
    producer.on(DISCONNECT, (event: DisconnectEvent) => console.log(event.type)),
    producer.on(REQUEST, ({ payload }: RequestEvent) => {
      const { apiKey, apiName, apiVersion, broker, clientId, correlationId, createdAt, duration, pendingDuration, sentAt, size } = payload
      console.log(apiKey, apiName, apiVersion, broker, clientId, correlationId, createdAt, duration, pendingDuration, sentAt, size)
    }),
    producer.on(REQUEST_TIMEOUT, ({ payload }: RequestTimeoutEvent) => console.log(payload.broker, payload.pendingDuration)),
    producer.on(REQUEST_QUEUE_SIZE, ({ payload }: RequestQueueSizeEvent) => console.log(payload.broker, payload.clientId, payload.queueSize)),
    producer.on('producer.connect', (event: InstrumentationEvent<null>) => console.log(event)),
  ]
}

export function removeAll(removers: Array<() => void>): void {
  for (const remove of removers) remove()
  producers[0]?.logger().info('removed')
}
