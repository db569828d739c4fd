/**
 * DescribeConfigs, IncrementalAlterConfigs and AlterConfigs for topics (overrides over Kafka's defaults) and a
 * read-only view of the brokers' configuration. Alterations of broker configs are refused like a broker refuses a
 * read-only setting.
 */
import { ErrorCodes } from '../protocol/generated/error-codes.js'
import { brokerConfigs, ConfigSource, ConfigType, ResourceType, TOPIC_CONFIGS } from './config-defs.js'
import { defineHandler, type RequestContext } from './registry.js'
import type { ClusterState, Failure, TopicState } from './state.js'

/** The first problem with a set of topic config overrides, or null. */
export function validateTopicConfigs(configs: Iterable<[string, string | null]>): Failure | null {
  for (const [name, value] of configs) {
    const def = TOPIC_CONFIGS.get(name)
    if (def === undefined) return { errorCode: ErrorCodes.INVALID_CONFIG, errorMessage: `Unknown topic config name: ${name}` }
    if (value === null) return { errorCode: ErrorCodes.INVALID_CONFIG, errorMessage: `Null value not supported for topic configs: ${name}` }
    if (def.valid !== undefined && !def.valid(value)) {
      return { errorCode: ErrorCodes.INVALID_CONFIG, errorMessage: `Invalid value ${value} for configuration ${name}` }
    }
  }
  return null
}

/** A topic's effective value for `name` (override, else default). */
export function topicConfig(topic: TopicState, name: string): string | null {
  return topic.configs.get(name) ?? TOPIC_CONFIGS.get(name)?.default ?? null
}

export interface ConfigEntry {
  name: string
  value: string | null
  readOnly: boolean
  configSource: number
  isSensitive: boolean
  configType: number
  documentation: string | null
  synonyms: Array<{ name: string; value: string | null; source: number }>
}

export function describeTopic(topic: TopicState, keys: readonly string[] | null, withSynonyms: boolean, withDocs: boolean): ConfigEntry[] {
  const out: ConfigEntry[] = []
  for (const [name, def] of TOPIC_CONFIGS) {
    if (keys !== null && !keys.includes(name)) continue
    const override = topic.configs.get(name)
    const synonyms: ConfigEntry['synonyms'] = []
    if (withSynonyms) {
      if (override !== undefined) synonyms.push({ name, value: override, source: ConfigSource.DYNAMIC_TOPIC_CONFIG })
      if (def.brokerName !== undefined) synonyms.push({ name: def.brokerName, value: def.default, source: ConfigSource.DEFAULT_CONFIG })
    }
    out.push({
      name,
      value: override ?? def.default,
      readOnly: false,
      configSource: override !== undefined ? ConfigSource.DYNAMIC_TOPIC_CONFIG : ConfigSource.DEFAULT_CONFIG,
      isSensitive: false,
      configType: def.type,
      documentation: withDocs ? def.doc : null,
      synonyms,
    })
  }
  return out
}

function describeBroker(cluster: ClusterState, brokerId: number, keys: readonly string[] | null, withSynonyms: boolean): ConfigEntry[] {
  const broker = cluster.brokers.get(brokerId)!
  const configs = brokerConfigs(brokerId, `PLAINTEXT://${broker.host}:${broker.port}`, {
    partitions: cluster.defaultPartitions,
    replicationFactor: cluster.defaultReplicationFactor,
    autoCreate: cluster.autoCreateTopics,
  })
  const out: ConfigEntry[] = []
  for (const [name, c] of configs) {
    if (keys !== null && !keys.includes(name)) continue
    const source = c.static ? ConfigSource.STATIC_BROKER_CONFIG : ConfigSource.DEFAULT_CONFIG
    out.push({
      name,
      value: c.value,
      readOnly: true,
      configSource: source,
      isSensitive: false,
      configType: c.type,
      documentation: null,
      synonyms: withSynonyms ? [{ name, value: c.value, source }] : [],
    })
  }
  return out
}

interface Resource {
  resourceType: number
  resourceName: string
}

/** Finds the resource a config request names, or the error a broker answers for it. */
function resolve(ctx: RequestContext, r: Resource): { topic?: TopicState; brokerId?: number } | Failure {
  const { cluster } = ctx
  if (r.resourceType === ResourceType.TOPIC) {
    const topic = cluster.topics.get(r.resourceName)
    if (topic === undefined) return { errorCode: ErrorCodes.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: `Topic ${r.resourceName} does not exist.` }
    return { topic }
  }
  if (r.resourceType === ResourceType.BROKER || r.resourceType === ResourceType.BROKER_LOGGER) {
    const id = r.resourceName === '' ? ctx.broker.id : Number(r.resourceName)
    if (!Number.isInteger(id) || !cluster.brokers.has(id)) return { errorCode: ErrorCodes.INVALID_REQUEST, errorMessage: `Unexpected broker id ${r.resourceName}` }
    return { brokerId: id }
  }
  return { errorCode: ErrorCodes.INVALID_REQUEST, errorMessage: `Unsupported resource type ${r.resourceType}` }
}

function alterResults(ctx: RequestContext, resources: Array<Resource & { configs: Array<{ name: string; value: string | null; op: number }> }>, validateOnly: boolean, replace: boolean) {
  return resources.map((r) => {
    const base = { resourceType: r.resourceType, resourceName: r.resourceName }
    const found = resolve(ctx, r)
    if ('errorCode' in found) return { ...base, ...found }
    if (found.topic === undefined) {
      return { ...base, errorCode: ErrorCodes.INVALID_REQUEST, errorMessage: 'The fake broker\'s configuration is read-only.' }
    }
    const next = replace ? new Map<string, string>() : new Map(found.topic.configs)
    for (const c of r.configs) {
      const def = TOPIC_CONFIGS.get(c.name)
      if (def === undefined) return { ...base, errorCode: ErrorCodes.INVALID_CONFIG, errorMessage: `Unknown topic config name: ${c.name}` }
      const current = next.get(c.name) ?? def.default ?? ''
      const items = current === '' ? [] : current.split(',')
      switch (c.op) {
        case 0: // SET
          if (c.value === null) return { ...base, errorCode: ErrorCodes.INVALID_REQUEST, errorMessage: `Null value for ${c.name}` }
          next.set(c.name, c.value)
          break
        case 1: // DELETE
          next.delete(c.name)
          break
        case 2: // APPEND
        case 3: // SUBTRACT
          if (def.type !== ConfigType.LIST) return { ...base, errorCode: ErrorCodes.INVALID_CONFIG, errorMessage: `Config value append/subtract is not allowed for config key ${c.name}` }
          for (const v of (c.value ?? '').split(',').filter((x) => x !== '')) {
            const at = items.indexOf(v)
            if (c.op === 2 && at < 0) items.push(v)
            if (c.op === 3 && at >= 0) items.splice(at, 1)
          }
          next.set(c.name, items.join(','))
          break
        default:
          return { ...base, errorCode: ErrorCodes.INVALID_REQUEST, errorMessage: `Unknown config operation ${c.op}` }
      }
    }
    const invalid = validateTopicConfigs(next)
    if (invalid !== null) return { ...base, ...invalid }
    if (!validateOnly) {
      found.topic.configs.clear()
      for (const [k, v] of next) found.topic.configs.set(k, v)
    }
    return { ...base, errorCode: 0, errorMessage: null }
  })
}

export const configHandlers = [
  defineHandler({
    api: 'DescribeConfigs',
    handle(ctx, request) {
      const results = request.resources.map((r) => {
        const base = { resourceType: r.resourceType, resourceName: r.resourceName }
        const found = resolve(ctx, r)
        if ('errorCode' in found) return { ...base, ...found, configs: [] }
        const configs = found.topic !== undefined
          ? describeTopic(found.topic, r.configurationKeys, request.includeSynonyms === true, request.includeDocumentation === true)
          : r.resourceType === ResourceType.BROKER_LOGGER
            ? []
            : describeBroker(ctx.cluster, found.brokerId!, r.configurationKeys, request.includeSynonyms === true)
        return { ...base, errorCode: 0, errorMessage: null, configs }
      })
      return { throttleTimeMs: 0, results }
    },
    errorResponse(_ctx, request, errorCode) {
      return { results: request.resources.map((r) => ({ errorCode, resourceType: r.resourceType, resourceName: r.resourceName, configs: [] })) }
    },
  }),
  defineHandler({
    api: 'IncrementalAlterConfigs',
    handle(ctx, request) {
      const resources = request.resources.map((r) => ({ ...r, configs: r.configs.map((c) => ({ name: c.name, value: c.value, op: c.configOperation })) }))
      return { throttleTimeMs: 0, responses: alterResults(ctx, resources, request.validateOnly, false) }
    },
    errorResponse(_ctx, request, errorCode) {
      return { responses: request.resources.map((r) => ({ errorCode, resourceType: r.resourceType, resourceName: r.resourceName })) }
    },
  }),
  defineHandler({
    api: 'AlterConfigs',
    handle(ctx, request) {
      const resources = request.resources.map((r) => ({ ...r, configs: r.configs.map((c) => ({ name: c.name, value: c.value, op: 0 })) }))
      return { throttleTimeMs: 0, responses: alterResults(ctx, resources, request.validateOnly, true) }
    },
    errorResponse(_ctx, request, errorCode) {
      return { responses: request.resources.map((r) => ({ errorCode, resourceType: r.resourceType, resourceName: r.resourceName })) }
    },
  }),
]
