/**
 * Translations between KafkaJS's admin shapes (protocol numbers, string offsets) and samsa's native ones
 * (lower-case names, bigint offsets). The tables are indexed by protocol code, so a code maps to the same name
 * both ways.
 */
import type { AclBinding, AclBindingFilter, AclPatternType, AclPermission, AclResourceType, DescribedAcl } from '../admin/security.js'
import type { ConfigEntry, ConfigResourceType, ConfigSource as NativeConfigSource } from '../admin/configs.js'
import { ACL_OPERATIONS, type AclOperation } from '../admin/internal.js'
import type { KafkaProtocolError } from '../errors.js'
import type { Acl, AclEntry, AclFilter, ConfigEntries, MatchingAcl } from './admin-types.js'
import type { AclOperationTypes, AclPermissionTypes, AclResourceTypes, ConfigResourceTypes, ConfigSource, ResourcePatternTypes } from './constants.js'
import { KafkaJSNonRetriableError } from './errors.js'

const ACL_RESOURCE_TYPES: readonly AclResourceType[] = ['unknown', 'any', 'topic', 'group', 'cluster', 'transactional-id', 'delegation-token', 'user']
const PATTERN_TYPES: readonly AclPatternType[] = ['unknown', 'any', 'match', 'literal', 'prefixed']
const PERMISSIONS: readonly AclPermission[] = ['unknown', 'any', 'deny', 'allow']
const CONFIG_SOURCES: readonly NativeConfigSource[] = [
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
const CONFIG_RESOURCE_TYPES: Readonly<Record<number, ConfigResourceType>> = { 2: 'topic', 4: 'broker', 8: 'broker-logger', 16: 'client-metrics', 32: 'group' }
const CONFIG_RESOURCE_CODES: Readonly<Record<ConfigResourceType, number>> = { topic: 2, broker: 4, 'broker-logger': 8, 'client-metrics': 16, group: 32 }

function nameOf<T>(table: readonly T[], code: number, what: string): T {
  const name = table[code]
  if (name === undefined) throw new KafkaJSNonRetriableError(`Invalid ${what} ${code}`)
  return name
}

function codeOf<T>(table: readonly T[], name: T): number {
  return Math.max(0, table.indexOf(name))
}

export function configResourceType(code: ConfigResourceTypes): ConfigResourceType {
  const type = CONFIG_RESOURCE_TYPES[code]
  // UNKNOWN (0) passes KafkaJS's checks but names no resource a request can carry.
  if (!type) throw new KafkaJSNonRetriableError(`Invalid resource type ${code}`)
  return type
}

export function configResourceCode(type: ConfigResourceType): ConfigResourceTypes {
  return CONFIG_RESOURCE_CODES[type] as ConfigResourceTypes
}

export function configSourceCode(source: NativeConfigSource): ConfigSource {
  return codeOf(CONFIG_SOURCES, source) as ConfigSource
}

export function configEntry(entry: ConfigEntry): ConfigEntries {
  return {
    configName: entry.name,
    // null for sensitive and unset values, as in KafkaJS (whose declarations say string).
    configValue: entry.value as string,
    readOnly: entry.isReadOnly,
    isDefault: entry.isDefault,
    configSource: configSourceCode(entry.source),
    isSensitive: entry.isSensitive,
    configSynonyms: entry.synonyms.map((s) => ({ configName: s.name, configValue: s.value as string, configSource: configSourceCode(s.source) })),
  }
}

export function aclBinding(entry: AclEntry): AclBinding {
  return {
    resourceType: nameOf(ACL_RESOURCE_TYPES, entry.resourceType, 'resource type'),
    resourceName: entry.resourceName,
    patternType: nameOf(PATTERN_TYPES, entry.resourcePatternType, 'resource pattern type'),
    principal: entry.principal,
    host: entry.host,
    operation: nameOf<AclOperation>(ACL_OPERATIONS, entry.operation, 'operation type'),
    permission: nameOf(PERMISSIONS, entry.permissionType, 'permission type'),
  }
}

export function aclFilter(filter: AclFilter): AclBindingFilter {
  return {
    resourceType: nameOf(ACL_RESOURCE_TYPES, filter.resourceType, 'resource type'),
    resourceName: filter.resourceName ?? null,
    patternType: nameOf(PATTERN_TYPES, filter.resourcePatternType, 'resource pattern type'),
    principal: filter.principal ?? null,
    host: filter.host ?? null,
    operation: nameOf<AclOperation>(ACL_OPERATIONS, filter.operation, 'operation type'),
    permission: nameOf(PERMISSIONS, filter.permissionType, 'permission type'),
  }
}

export interface AclResourceKey {
  resourceType: AclResourceTypes
  resourceName: string
  resourcePatternType: ResourcePatternTypes
}

export function aclResource(acl: DescribedAcl): AclResourceKey {
  return {
    resourceType: codeOf(ACL_RESOURCE_TYPES, acl.resourceType) as AclResourceTypes,
    resourceName: acl.resourceName,
    resourcePatternType: codeOf(PATTERN_TYPES, acl.patternType) as ResourcePatternTypes,
  }
}

export function acl(described: DescribedAcl): Acl {
  return {
    principal: described.principal,
    host: described.host,
    operation: codeOf<AclOperation>(ACL_OPERATIONS, described.operation) as AclOperationTypes,
    permissionType: codeOf(PERMISSIONS, described.permission) as AclPermissionTypes,
  }
}

export function matchingAcl(described: DescribedAcl, error: KafkaProtocolError | null): MatchingAcl {
  const { principal, host, operation, permissionType } = acl(described)
  return {
    errorCode: error?.code ?? 0,
    errorMessage: (error?.brokerMessage ?? null) as string | undefined,
    ...aclResource(described),
    principal,
    host,
    operation,
    permissionType,
  }
}

/** KafkaJS's string offsets from samsa's bigints. */
export function offsetString(offset: bigint): string {
  return offset.toString()
}
