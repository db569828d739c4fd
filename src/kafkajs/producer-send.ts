/**
 * The KafkaJS side of one `send`/`sendBatch`: its checks (in KafkaJS's order, with its messages), placing each
 * message with the KafkaJS partitioner on the topic's current metadata, turning messages into samsa's shape, and
 * turning samsa's per-record results into KafkaJS's per-partition `RecordMetadata`.
 */
import type { Cluster, TopicInfo } from '../network/cluster.js'
import type { RecordMetadata as SamsaRecordMetadata } from '../producer/batch.js'
import type { ProducerMessage, ProducerRecord as SamsaProducerRecord } from '../producer/producer.js'
import type { RecordData } from '../records/index.js'
import { KafkaJSNonRetriableError } from './errors.js'
import type { IHeaders, Message, PartitionMetadata, PartitionerArgs } from './partitioners.js'
import type { CompressionTypes } from './constants.js'

export interface TopicMessages {
  topic: string
  messages: Message[]
}

export interface ProducerRecord {
  topic: string
  messages: Message[]
  acks?: number
  timeout?: number
  compression?: CompressionTypes
}

export interface ProducerBatch {
  acks?: number
  timeout?: number
  compression?: CompressionTypes
  topicMessages?: TopicMessages[]
}

export type RecordMetadata = {
  topicName: string
  partition: number
  errorCode: number
  offset?: string
  timestamp?: string
  baseOffset?: string
  logAppendTime?: string
  logStartOffset?: string
}

export const EOS_ACKS_MESSAGE = "Not requiring ack for all messages invalidates the idempotent producer's EoS guarantees"

/**
 * KafkaJS's checks of a batch before anything is sent, and its merge of entries naming the same topic. Returns the
 * input array itself when no topic repeats (the usual case).
 */
export function checkedTopicMessages(topicMessages: TopicMessages[], acks: number, idempotent: boolean): TopicMessages[] {
  for (const { topic } of topicMessages) if (!topic) throw new KafkaJSNonRetriableError('Invalid topic')
  if (idempotent && acks !== -1) throw new KafkaJSNonRetriableError(EOS_ACKS_MESSAGE)
  let repeated = false
  for (let i = 0; i < topicMessages.length; i++) {
    const { topic, messages } = topicMessages[i]!
    if (!messages) throw new KafkaJSNonRetriableError(`Invalid messages array [${String(messages)}] for topic "${topic}"`)
    for (const message of messages) {
      if (message.value === undefined) {
        throw new KafkaJSNonRetriableError(`Invalid message without value for topic "${topic}": ${JSON.stringify(message)}`)
      }
    }
    for (let j = 0; j < i && !repeated; j++) if (topicMessages[j]!.topic === topic) repeated = true
  }
  if (!repeated) return topicMessages
  const merged: TopicMessages[] = []
  for (const { topic, messages } of topicMessages) {
    const same = merged.find((entry) => entry.topic === topic)
    if (same) same.messages = [...same.messages, ...messages]
    else merged.push({ topic, messages })
  }
  return merged
}

// KafkaJS's view of a topic's partitions, built once per metadata snapshot samsa holds.
const partitionMetadataOf = new WeakMap<TopicInfo, PartitionMetadata[]>()

export function partitionMetadata(info: TopicInfo): PartitionMetadata[] {
  let metadata = partitionMetadataOf.get(info)
  if (metadata === undefined) {
    metadata = info.partitions.map((p) => ({
      partitionErrorCode: p.errorCode,
      partitionId: p.partition,
      leader: p.leader,
      replicas: p.replicas,
      isr: p.isr,
      offlineReplicas: p.offlineReplicas,
    }))
    partitionMetadataOf.set(info, metadata)
  }
  return metadata
}

/** The topics' metadata, from samsa's cache when it has them, else fetched within `timeoutMs`. */
export async function topicInfos(cluster: Cluster, topics: TopicMessages[], timeoutMs: number): Promise<TopicInfo[]> {
  const missing = topics.filter(({ topic }) => cluster.topic(topic) === undefined).map(({ topic }) => topic)
  if (missing.length > 0) await cluster.topics(missing, { timeoutMs })
  return topics.map(({ topic }) => cluster.topic(topic)!)
}

/** KafkaJS's headers as samsa's: an object when no value is a list, else ordered pairs (repeated names kept). */
function toHeaders(headers: IHeaders): Readonly<Record<string, RecordData>> | Array<[string, RecordData]> {
  let pairs: Array<[string, RecordData]> | null = null
  for (const name in headers) {
    const value = headers[name]
    if (Array.isArray(value) || value === undefined) {
      pairs = []
      break
    }
  }
  if (pairs === null) return headers as Readonly<Record<string, RecordData>>
  for (const name in headers) {
    const value = headers[name]
    if (Array.isArray(value)) for (const item of value) pairs.push([name, item])
    else pairs.push([name, value ?? null])
  }
  return pairs
}

/**
 * Each message placed by `partition` and in samsa's shape. Timestamps are set here (now, unless the message has
 * one) so that the results can tell a broker's log-append time from the create time sent.
 */
export function placeMessages(
  topicMessages: TopicMessages[],
  infos: TopicInfo[],
  partition: (args: PartitionerArgs) => number,
  now: number,
): SamsaProducerRecord[] {
  const records: SamsaProducerRecord[] = new Array(topicMessages.length)
  for (let t = 0; t < topicMessages.length; t++) {
    const { topic, messages } = topicMessages[t]!
    const args: PartitionerArgs = { topic, partitionMetadata: partitionMetadata(infos[t]!), message: messages[0]! }
    const placed: ProducerMessage[] = new Array(messages.length)
    for (let m = 0; m < messages.length; m++) {
      const message = messages[m]!
      args.message = message
      const timestamp = message.timestamp
      placed[m] = {
        key: message.key,
        value: message.value,
        headers: message.headers === undefined ? undefined : toHeaders(message.headers),
        partition: partition(args),
        timestamp: timestamp === undefined || timestamp === null ? now : Number(timestamp),
      }
    }
    records[t] = { topic, messages: placed }
  }
  return records
}

/**
 * KafkaJS's result: one entry per topic and partition written (topics in request order, partitions ascending), with
 * the offset of the call's first record there. Log-append time shows where the broker replaced the timestamp sent.
 */
export function toRecordMetadata(records: SamsaProducerRecord[], results: SamsaRecordMetadata[]): RecordMetadata[] {
  const out: RecordMetadata[] = []
  let index = 0
  for (const { topic, messages } of records) {
    const first = new Map<number, number>()
    for (let m = 0; m < messages.length; m++, index++) {
      const partition = results[index]!.partition
      if (!first.has(partition)) first.set(partition, index)
    }
    const partitions = [...first.keys()].sort((a, b) => a - b)
    for (const partition of partitions) {
      const at = first.get(partition)!
      const result = results[at]!
      const sent = messages[at - (index - messages.length)]!.timestamp
      out.push({
        topicName: topic,
        partition,
        errorCode: 0,
        baseOffset: String(result.offset),
        logAppendTime: result.timestamp === Number(sent) ? '-1' : String(result.timestamp),
        logStartOffset: String(result.logStartOffset),
      })
    }
  }
  return out
}
