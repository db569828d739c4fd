/**
 * CreateTopics, DeleteTopics, CreatePartitions: the controller's checks and answers, applied at once (the fake's
 * metadata propagates instantly, so a topic is usable as soon as the response is written).
 */
import { ErrorCodes } from '../protocol/generated/error-codes.js'
import { describeTopic, validateTopicConfigs } from './configs.js'
import { defineHandler } from './registry.js'
import type { Failure, NewTopic } from './state.js'

const ZERO_UUID = 'AAAAAAAAAAAAAAAAAAAAAA'

export const topicHandlers = [
  defineHandler({
    api: 'CreateTopics',
    handle(ctx, request) {
      const { cluster } = ctx
      const seen = new Map<string, number>()
      for (const t of request.topics) seen.set(t.name, (seen.get(t.name) ?? 0) + 1)
      const topics = request.topics.map((t) => {
        const fail = (f: Failure) => ({ name: t.name, topicId: ZERO_UUID, errorCode: f.errorCode, errorMessage: f.errorMessage, numPartitions: -1, replicationFactor: -1, configs: null })
        if (seen.get(t.name)! > 1) return fail({ errorCode: ErrorCodes.INVALID_REQUEST, errorMessage: `Create topics request from client contains duplicate topic ${t.name}` })
        const hasAssignments = t.assignments.length > 0
        if (hasAssignments && (t.numPartitions !== -1 || t.replicationFactor !== -1)) {
          return fail({ errorCode: ErrorCodes.INVALID_REQUEST, errorMessage: 'Both numPartitions or replicationFactor and replicasAssignments were set.' })
        }
        const spec: NewTopic = {
          name: t.name,
          partitions: t.numPartitions === -1 ? cluster.defaultPartitions : t.numPartitions,
          replicationFactor: t.replicationFactor === -1 ? cluster.defaultReplicationFactor : t.replicationFactor,
          configs: Object.fromEntries(t.configs.map((c) => [c.name, c.value ?? ''])),
        }
        if (hasAssignments) {
          const sorted = [...t.assignments].sort((a, b) => a.partitionIndex - b.partitionIndex)
          if (sorted.some((a, i) => a.partitionIndex !== i)) {
            return fail({ errorCode: ErrorCodes.INVALID_REPLICA_ASSIGNMENT, errorMessage: 'Partitions should be a consecutive 0-based integer sequence' })
          }
          spec.assignments = sorted.map((a) => a.brokerIds)
        }
        const invalid = cluster.validateNewTopic(spec) ?? validateTopicConfigs(t.configs.map((c) => [c.name, c.value]))
        if (invalid !== null) return fail(invalid)
        const partitions = spec.assignments?.length ?? spec.partitions
        const replicationFactor = spec.assignments?.[0]?.length ?? spec.replicationFactor
        if (request.validateOnly) {
          return { name: t.name, topicId: ZERO_UUID, errorCode: 0, errorMessage: null, numPartitions: partitions, replicationFactor, configs: [] }
        }
        const topic = cluster.createTopic(spec)
        const configs = describeTopic(topic, null, false, false).map((c) => ({
          name: c.name,
          value: c.value,
          readOnly: c.readOnly,
          configSource: c.configSource,
          isSensitive: c.isSensitive,
        }))
        return { name: t.name, topicId: topic.topicId, errorCode: 0, errorMessage: null, numPartitions: partitions, replicationFactor, configs }
      })
      return { throttleTimeMs: 0, topics }
    },
    errorResponse(_ctx, request, errorCode) {
      return { topics: request.topics.map((t) => ({ name: t.name, errorCode, errorMessage: null })) }
    },
  }),
  defineHandler({
    api: 'DeleteTopics',
    handle(ctx, request) {
      const { cluster } = ctx
      const wanted = ctx.apiVersion >= 6
        ? (request.topics ?? []).map((t) => ({ name: t.name ?? null, topicId: t.topicId }))
        : (request.topicNames ?? []).map((name) => ({ name, topicId: undefined }))
      const responses = wanted.map((w) => {
        const byId = w.name === null && w.topicId !== undefined && w.topicId !== ZERO_UUID
        const topic = byId ? cluster.topicsById.get(w.topicId!) : cluster.topics.get(w.name ?? '')
        if (topic === undefined) {
          return byId
            ? { name: null, topicId: w.topicId, errorCode: ErrorCodes.UNKNOWN_TOPIC_ID, errorMessage: 'This server does not host this topic ID.' }
            : { name: w.name, topicId: ZERO_UUID, errorCode: ErrorCodes.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: 'This server does not host this topic-partition.' }
        }
        cluster.deleteTopic(topic)
        return { name: topic.name, topicId: topic.topicId, errorCode: 0, errorMessage: null }
      })
      return { throttleTimeMs: 0, responses }
    },
    errorResponse(ctx, request, errorCode) {
      const names = ctx.apiVersion >= 6 ? (request.topics ?? []).map((t) => ({ name: t.name ?? null, topicId: t.topicId })) : (request.topicNames ?? []).map((name) => ({ name }))
      return { responses: names.map((n) => ({ ...n, errorCode })) }
    },
  }),
  defineHandler({
    api: 'CreatePartitions',
    handle(ctx, request) {
      const { cluster } = ctx
      const results = request.topics.map((t) => {
        const fail = (errorCode: number, errorMessage: string) => ({ name: t.name, errorCode, errorMessage })
        const topic = cluster.topics.get(t.name)
        if (topic === undefined) return fail(ErrorCodes.UNKNOWN_TOPIC_OR_PARTITION, `The topic '${t.name}' does not exist.`)
        const current = topic.partitions.length
        if (t.count < current) return fail(ErrorCodes.INVALID_PARTITIONS, `The topic ${t.name} currently has ${current} partition(s); ${t.count} would not be an increase.`)
        if (t.count === current) return fail(ErrorCodes.INVALID_PARTITIONS, `Topic already has ${current} partition(s).`)
        const assignments = t.assignments?.map((a) => a.brokerIds)
        if (assignments !== undefined) {
          if (assignments.length !== t.count - current) {
            return fail(ErrorCodes.INVALID_REPLICA_ASSIGNMENT, `Attempted to add ${t.count - current} additional partition(s), but only ${assignments.length} assignment(s) were specified.`)
          }
          if (assignments.some((ids) => ids.length === 0 || ids.some((id) => !cluster.brokers.has(id)) || new Set(ids).size !== ids.length)) {
            return fail(ErrorCodes.INVALID_REPLICA_ASSIGNMENT, 'The manual partition assignment includes a broker that does not exist, or a duplicate.')
          }
        }
        if (!request.validateOnly) cluster.growTopic(topic, t.count, assignments)
        return { name: t.name, errorCode: 0, errorMessage: null }
      })
      return { throttleTimeMs: 0, results }
    },
    errorResponse(_ctx, request, errorCode) {
      return { results: request.topics.map((t) => ({ name: t.name, errorCode, errorMessage: null })) }
    },
  }),
]
