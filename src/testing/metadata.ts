/**
 * Metadata and DescribeCluster: what the cluster looks like to a client. A killed broker stays registered and
 * listed (as in the seconds before Kafka fences it), so clients meet its refusing port as they would; the
 * partitions it led have moved, and offlineReplicas (and DescribeCluster v2's isFenced) say it is down.
 */
import { ErrorCodes } from '../protocol/generated/error-codes.js'
import { defineHandler, type RequestContext } from './registry.js'
import { topicNameError, type ClusterState, type PartitionState, type TopicState } from './state.js'

const ZERO_UUID = 'AAAAAAAAAAAAAAAAAAAAAA'

/** Creates a topic the way auto.create.topics.enable does: defaults, replication capped at the live brokers. */
export function autoCreate(cluster: ClusterState, name: string): TopicState | null {
  if (!cluster.autoCreateTopics || topicNameError(name) !== null || cluster.aliveBrokers().length === 0) return null
  const replicationFactor = Math.min(cluster.defaultReplicationFactor, cluster.aliveBrokers().length)
  return cluster.createTopic({ name, partitions: cluster.defaultPartitions, replicationFactor })
}

export function partitionMetadata(cluster: ClusterState, p: PartitionState) {
  return {
    errorCode: p.leader === -1 ? ErrorCodes.LEADER_NOT_AVAILABLE : 0,
    partitionIndex: p.index,
    leaderId: p.leader,
    leaderEpoch: p.leaderEpoch,
    replicaNodes: [...p.replicas],
    isrNodes: [...p.isr],
    offlineReplicas: p.replicas.filter((id) => cluster.brokers.get(id)?.alive !== true),
  }
}

function topicMetadata(cluster: ClusterState, topic: TopicState) {
  return {
    errorCode: 0,
    name: topic.name,
    topicId: topic.topicId,
    isInternal: topic.internal,
    partitions: topic.partitions.map((p) => partitionMetadata(cluster, p)),
  }
}

export function brokerList(cluster: ClusterState) {
  return [...cluster.brokers.values()].sort((a, b) => a.id - b.id).map((b) => ({ nodeId: b.id, host: b.host, port: b.port, rack: b.rack }))
}

function metadata(ctx: RequestContext, request: { topics: Array<{ topicId?: string; name: string | null }> | null; allowAutoTopicCreation?: boolean }) {
  const { cluster, apiVersion } = ctx
  const all = request.topics === null || (apiVersion === 0 && request.topics.length === 0)
  const topics = []
  if (all) {
    for (const topic of cluster.topics.values()) topics.push(topicMetadata(cluster, topic))
  } else {
    const allowCreate = apiVersion < 4 || request.allowAutoTopicCreation !== false
    for (const wanted of request.topics ?? []) {
      if (wanted.name === null || wanted.name === undefined) {
        const topic = wanted.topicId !== undefined ? cluster.topicsById.get(wanted.topicId) : undefined
        if (topic !== undefined) topics.push(topicMetadata(cluster, topic))
        else topics.push({ errorCode: ErrorCodes.UNKNOWN_TOPIC_ID, name: null, topicId: wanted.topicId ?? ZERO_UUID, isInternal: false, partitions: [] })
        continue
      }
      let topic = cluster.topics.get(wanted.name)
      if (topic === undefined && allowCreate) topic = autoCreate(cluster, wanted.name) ?? undefined
      if (topic !== undefined) {
        topics.push(topicMetadata(cluster, topic))
      } else {
        const invalid = topicNameError(wanted.name) !== null
        topics.push({
          errorCode: invalid ? ErrorCodes.INVALID_TOPIC_EXCEPTION : ErrorCodes.UNKNOWN_TOPIC_OR_PARTITION,
          name: wanted.name,
          topicId: ZERO_UUID,
          isInternal: false,
          partitions: [],
        })
      }
    }
  }
  return {
    throttleTimeMs: 0,
    brokers: brokerList(cluster),
    clusterId: cluster.clusterId,
    controllerId: cluster.controllerId(),
    topics,
  }
}

export const metadataHandlers = [
  defineHandler({
    api: 'Metadata',
    handle: metadata,
    errorResponse(ctx, request, errorCode) {
      const topics = (request.topics ?? []).map((t) => ({ errorCode, name: t.name, topicId: t.topicId ?? ZERO_UUID, partitions: [] }))
      return { brokers: brokerList(ctx.cluster), clusterId: ctx.cluster.clusterId, controllerId: ctx.cluster.controllerId(), topics, errorCode }
    },
  }),
  defineHandler({
    api: 'DescribeCluster',
    handle(ctx, request) {
      const { cluster } = ctx
      // endpointType 2 asks for controllers: KRaft brokers refuse, only a controller listener answers it.
      if ((request.endpointType ?? 1) !== 1) {
        return { errorCode: ErrorCodes.UNSUPPORTED_ENDPOINT_TYPE, errorMessage: 'The request was sent to a broker.', clusterId: cluster.clusterId, brokers: [] }
      }
      const brokers = [...cluster.brokers.values()]
        .sort((a, b) => a.id - b.id)
        // v2 hides fenced (here: killed) brokers unless asked for them, as a KRaft broker does.
        .filter((b) => b.alive || ctx.apiVersion < 2 || request.includeFencedBrokers === true)
        .map((b) => ({ brokerId: b.id, host: b.host, port: b.port, rack: b.rack, ...(ctx.apiVersion >= 2 ? { isFenced: !b.alive } : {}) }))
      return {
        errorCode: 0,
        errorMessage: null,
        endpointType: 1,
        clusterId: cluster.clusterId,
        controllerId: cluster.controllerId(),
        brokers,
        clusterAuthorizedOperations: request.includeClusterAuthorizedOperations ? 0 : -2147483648,
      }
    },
    errorResponse(ctx, _request, errorCode) {
      return { errorCode, clusterId: ctx.cluster.clusterId, brokers: [] }
    },
  }),
]
