/**
 * Translations between KafkaJS's admin shapes (protocol numbers, string offsets) and samsa's native ones
 * (lower-case names, bigint offsets). The tables are indexed by protocol code, so a code maps to the same name
 * both ways.
 */
import { ACL_PATTERN_TYPES, ACL_PERMISSIONS, ACL_RESOURCE_TYPES, type AclBinding, type AclBindingFilter, type DescribedAcl } from '../admin/security.js'
import { CONFIG_SOURCES, type ConfigEntry, type ConfigResourceType, type ConfigSource as NativeConfigSource, RESOURCE_TYPE_CODES, RESOURCE_TYPE_NAMES } from '../admin/configs.js'
import { ACL_OPERATIONS, type AclOperation } from '../admin/internal.js'
import type { KafkaProtocolError } from '../errors.js'
import type { Acl, AclEntry, AclFilter, ConfigEntries, MatchingAcl } from './admin-types.js'
import type { AclOperationTypes, AclPermissionTypes, AclResourceTypes, ConfigResourceTypes, ConfigSource, ResourcePatternTypes } from './constants.js'
import { KafkaJSNonRetriableError } from './errors.js'


function nameOf<T>(table: readonly T[], code: number, what: string): T {
  const name = table[code]
  if (name === undefined) throw new KafkaJSNonRetriableError(`Invalid ${what} ${code}`)
  return name
}

function codeOf<T>(table: readonly T[], name: T): number {
  return Math.max(0, table.indexOf(name))
}

export function configResourceType(code: ConfigResourceTypes): ConfigResourceType {
  const type = RESOURCE_TYPE_NAMES.get(code)
  // UNKNOWN (0) passes KafkaJS's checks but names no resource a request can carry.
  if (!type) throw new KafkaJSNonRetriableError(`Invalid resource type ${code}`)
  return type
}

export function configResourceCode(type: ConfigResourceType): ConfigResourceTypes {
  return RESOURCE_TYPE_CODES[type] as ConfigResourceTypes
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
    patternType: nameOf(ACL_PATTERN_TYPES, entry.resourcePatternType, 'resource pattern type'),
    principal: entry.principal,
    host: entry.host,
    operation: nameOf<AclOperation>(ACL_OPERATIONS, entry.operation, 'operation type'),
    permission: nameOf(ACL_PERMISSIONS, entry.permissionType, 'permission type'),
  }
}

export function aclFilter(filter: AclFilter): AclBindingFilter {
  return {
    resourceType: nameOf(ACL_RESOURCE_TYPES, filter.resourceType, 'resource type'),
    resourceName: filter.resourceName ?? null,
    patternType: nameOf(ACL_PATTERN_TYPES, filter.resourcePatternType, 'resource pattern type'),
    principal: filter.principal ?? null,
    host: filter.host ?? null,
    operation: nameOf<AclOperation>(ACL_OPERATIONS, filter.operation, 'operation type'),
    permission: nameOf(ACL_PERMISSIONS, filter.permissionType, 'permission type'),
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
    resourcePatternType: codeOf(ACL_PATTERN_TYPES, acl.patternType) as ResourcePatternTypes,
  }
}

export function acl(described: DescribedAcl): Acl {
  return {
    principal: described.principal,
    host: described.host,
    operation: codeOf<AclOperation>(ACL_OPERATIONS, described.operation) as AclOperationTypes,
    permissionType: codeOf(ACL_PERMISSIONS, described.permission) as AclPermissionTypes,
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
