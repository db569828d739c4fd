/**
 * Configs of topics, brokers, broker loggers, groups and client-metrics subscriptions: describe and incremental
 * alter. A specific broker's (or broker logger's) configs live on that broker, so those resources go to it; all
 * others go to any broker, batched into one request per destination.
 */
import { KafkaError, type KafkaProtocolError } from '../errors.js'
import type { Target } from '../network/cluster.js'
import { ApiKeys } from '../protocol/index.js'
import { type AdminCallOptions, type AdminContext, groupBy, itemError, send } from './internal.js'

export type ConfigResourceType = 'topic' | 'broker' | 'broker-logger' | 'group' | 'client-metrics'

export const RESOURCE_TYPE_CODES: Readonly<Record<ConfigResourceType, number>> = {
  topic: 2,
  broker: 4,
  'broker-logger': 8,
  'client-metrics': 16,
  group: 32,
}

export interface ConfigResource {
  type: ConfigResourceType
  /** Topic or group name, broker id as a string (`''` for the cluster-wide broker defaults), subscription name. */
  name: string
}

export type ConfigSource =
  | 'unknown'
  | 'dynamic-topic'
  | 'dynamic-broker'
  | 'dynamic-default-broker'
  | 'static-broker'
  | 'default'
  | 'dynamic-broker-logger'
  | 'client-metrics'
  | 'group'

/** Indexed by protocol code (DescribeConfigs' configSource). */
export const CONFIG_SOURCES: readonly ConfigSource[] = [
  'unknown',
  'dynamic-topic',
  'dynamic-broker',
  'dynamic-default-broker',
  'static-broker',
  'default',
  'dynamic-broker-logger',
  'client-metrics',
  'group',
]

export function configSourceName(code: number): ConfigSource {
  return CONFIG_SOURCES[code] ?? 'unknown'
}

export type ConfigType = 'unknown' | 'boolean' | 'string' | 'int' | 'short' | 'long' | 'double' | 'list' | 'class' | 'password'
const CONFIG_TYPES: ConfigType[] = ['unknown', 'boolean', 'string', 'int', 'short', 'long', 'double', 'list', 'class', 'password']

export interface ConfigSynonym {
  name: string
  value: string | null
  source: ConfigSource
}

export interface ConfigEntry {
  name: string
  /** null for sensitive values and unset ones. */
  value: string | null
  source: ConfigSource
  isDefault: boolean
  isReadOnly: boolean
  isSensitive: boolean
  /** Where else the value is set, most specific first (only with `includeSynonyms`). */
  synonyms: ConfigSynonym[]
  type: ConfigType
  /** Only with `includeDocumentation`. */
  documentation: string | null
}

export interface DescribeConfigsRequestItem extends ConfigResource {
  /** Only these keys; all when left out. */
  keys?: string[]
}

export interface DescribeConfigsOptions extends AdminCallOptions {
  includeSynonyms?: boolean
  includeDocumentation?: boolean
}

export interface DescribeConfigsResult extends ConfigResource {
  configs: ConfigEntry[]
  error: KafkaProtocolError | null
}

export interface AlterConfigsRequestItem extends ConfigResource {
  /** Set these keys to these values. */
  set?: Record<string, string>
  /** Remove these keys, reverting them to their default. */
  delete?: string[]
  /** Add values to list-typed keys. */
  append?: Record<string, string>
  /** Remove values from list-typed keys. */
  subtract?: Record<string, string>
}

export interface AlterConfigsOptions extends AdminCallOptions {
  validateOnly?: boolean
}

export interface AlterConfigsResult extends ConfigResource {
  error: KafkaProtocolError | null
}

const OPERATION = { set: 0, delete: 1, append: 2, subtract: 3 } as const

function targetOf(resource: ConfigResource): Target {
  if ((resource.type === 'broker' || resource.type === 'broker-logger') && resource.name !== '') {
    const nodeId = Number(resource.name)
    if (Number.isInteger(nodeId) && nodeId >= 0) return { kind: 'node', nodeId }
  }
  return { kind: 'any' }
}

function targetKey(target: Target): string {
  return target.kind === 'node' ? `node:${target.nodeId}` : target.kind
}

function resourceKey(type: number, name: string): string {
  return `${type}\u0000${name}`
}

/** Sends each destination's resources in one request and puts the answers back in the caller's order. */
async function perDestination<T extends ConfigResource, R>(items: T[], sendGroup: (target: Target, group: T[]) => Promise<Map<string, R>>): Promise<Array<R | undefined>> {
  const groups = groupBy(items, (i) => targetKey(targetOf(i)))
  const answers = new Map<string, R>()
  await Promise.all(
    [...groups.values()].map(async (group) => {
      for (const [key, value] of await sendGroup(targetOf(group[0]!), group)) answers.set(key, value)
    }),
  )
  return items.map((i) => answers.get(resourceKey(RESOURCE_TYPE_CODES[i.type], i.name)))
}

interface ResourceOutcome {
  resourceType: number
  resourceName: string
  errorCode: number
  errorMessage: string | null
}

/** Both alter APIs (incremental and legacy) answer with one error per resource and nothing else. */
async function alterPerDestination<T extends ConfigResource>(
  items: T[],
  sendGroup: (target: Target, group: T[]) => Promise<{ responses: ResourceOutcome[] }>,
): Promise<AlterConfigsResult[]> {
  const answers = await perDestination(items, async (target, group) => {
    const response = await sendGroup(target, group)
    return new Map(response.responses.map((r) => [resourceKey(r.resourceType, r.resourceName), itemError(r.errorCode, r.resourceName, r.errorMessage)]))
  })
  return items.map((r, i) => ({
    type: r.type,
    name: r.name,
    error: answers[i] === undefined ? itemError(-1, r.name, 'no result for this resource') : answers[i]!,
  }))
}

export async function describeConfigs(
  ctx: AdminContext,
  resources: DescribeConfigsRequestItem[],
  options: DescribeConfigsOptions = {},
): Promise<DescribeConfigsResult[]> {
  const answers = await perDestination(resources, async (target, group) => {
    const response = await send(
      ctx,
      target,
      ApiKeys.DescribeConfigs,
      {
        resources: group.map((r) => ({ resourceType: RESOURCE_TYPE_CODES[r.type], resourceName: r.name, configurationKeys: r.keys ?? null })),
        includeSynonyms: options.includeSynonyms ?? false,
        includeDocumentation: options.includeDocumentation ?? false,
      },
      { signal: options.signal },
    )
    return new Map(
      response.results.map((r) => [
        resourceKey(r.resourceType, r.resourceName),
        {
          error: itemError(r.errorCode, r.resourceName, r.errorMessage),
          configs: r.configs.map((c) => {
            const source = configSourceName(c.configSource ?? -1)
            return {
              name: c.name,
              value: c.value,
              source,
              isDefault: source === 'default',
              isReadOnly: c.readOnly,
              isSensitive: c.isSensitive,
              synonyms: (c.synonyms ?? []).map((s) => ({ name: s.name, value: s.value, source: configSourceName(s.source) })),
              type: CONFIG_TYPES[c.configType ?? 0] ?? 'unknown',
              documentation: c.documentation ?? null,
            }
          }),
        },
      ]),
    )
  })
  return resources.map((r, i) => ({
    type: r.type,
    name: r.name,
    configs: answers[i]?.configs ?? [],
    error: answers[i]?.error ?? (answers[i] ? null : itemError(-1, r.name, 'no result for this resource')),
  }))
}

export async function incrementalAlterConfigs(
  ctx: AdminContext,
  resources: AlterConfigsRequestItem[],
  options: AlterConfigsOptions = {},
): Promise<AlterConfigsResult[]> {
  return alterPerDestination(resources, (target, group) =>
    send(
      ctx,
      target,
      ApiKeys.IncrementalAlterConfigs,
      {
        resources: group.map((r) => ({
          resourceType: RESOURCE_TYPE_CODES[r.type],
          resourceName: r.name,
          configs: [
            ...Object.entries(r.set ?? {}).map(([name, value]) => ({ name, configOperation: OPERATION.set, value })),
            ...(r.delete ?? []).map((name) => ({ name, configOperation: OPERATION.delete, value: null })),
            ...Object.entries(r.append ?? {}).map(([name, value]) => ({ name, configOperation: OPERATION.append, value })),
            ...Object.entries(r.subtract ?? {}).map(([name, value]) => ({ name, configOperation: OPERATION.subtract, value })),
          ],
        })),
        validateOnly: options.validateOnly ?? false,
      },
      { signal: options.signal },
    ),
  )
}

export const RESOURCE_TYPE_NAMES: ReadonlyMap<number, ConfigResourceType> = new Map(Object.entries(RESOURCE_TYPE_CODES).map(([name, code]) => [code, name as ConfigResourceType]))

/**
 * Config resources that exist, of the given types or all (KIP-1142, ListConfigResources v1; brokers with only v0
 * list client-metrics subscriptions).
 */
export async function listConfigResources(ctx: AdminContext, types: ConfigResourceType[] = [], options: AdminCallOptions = {}): Promise<ConfigResource[]> {
  const response = await send(
    ctx,
    { kind: 'any' },
    ApiKeys.ListConfigResources,
    { resourceTypes: types.map((t) => RESOURCE_TYPE_CODES[t]) },
    {
      signal: options.signal,
      errorCode: (r) => r.errorCode,
      version: (negotiated) => {
        if (negotiated < 1 && types.some((t) => t !== 'client-metrics')) throw new KafkaError('Listing config resources other than client-metrics needs ListConfigResources v1 (Kafka 4.1+)')
        return negotiated
      },
    },
  )
  return response.configResources
    .map((r) => ({ type: RESOURCE_TYPE_NAMES.get(r.resourceType ?? 16) ?? ('unknown' as ConfigResourceType), name: r.resourceName }))
    .filter((r) => types.length === 0 || types.includes(r.type))
}

export interface ReplaceConfigsRequestItem extends ConfigResource {
  /** The complete set of dynamic configs the resource should have: every dynamic key not listed is removed. */
  configs: Record<string, string>
}

/**
 * The legacy, non-incremental AlterConfigs (deprecated in the Java admin): replaces all dynamic configs of each
 * resource. Prefer `incrementalAlterConfigs`, which changes only the keys it names.
 */
export async function alterConfigs(ctx: AdminContext, resources: ReplaceConfigsRequestItem[], options: AlterConfigsOptions = {}): Promise<AlterConfigsResult[]> {
  return alterPerDestination(resources, (target, group) =>
    send(
      ctx,
      target,
      ApiKeys.AlterConfigs,
      {
        resources: group.map((r) => ({
          resourceType: RESOURCE_TYPE_CODES[r.type],
          resourceName: r.name,
          configs: Object.entries(r.configs).map(([name, value]) => ({ name, value })),
        })),
        validateOnly: options.validateOnly ?? false,
      },
      { signal: options.signal },
    ),
  )
}
