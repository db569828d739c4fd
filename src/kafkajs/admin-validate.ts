/**
 * The argument checks KafkaJS's admin makes before sending anything, with its messages: JavaScript programs (and
 * their tests) rely on these failing fast with a KafkaJSNonRetriableError rather than on a broker error.
 * Template literals print values as KafkaJS's do (`Invalid topics array undefined`).
 */
import { AclOperationTypes, AclPermissionTypes, AclResourceTypes, ConfigResourceTypes, ResourcePatternTypes } from './constants.js'
import { KafkaJSNonRetriableError } from './errors.js'

// Loose views of what a JavaScript caller may pass: the checks below are what makes them the declared types.
type Loose = Record<string, unknown>

function fail(message: string): never {
  throw new KafkaJSNonRetriableError(message)
}

function enumValues(e: object): unknown[] {
  return Object.values(e).filter((v) => typeof v === 'number')
}

const OPERATIONS = enumValues(AclOperationTypes)
const PATTERNS = enumValues(ResourcePatternTypes)
const PERMISSIONS = enumValues(AclPermissionTypes)
const ACL_RESOURCES = enumValues(AclResourceTypes)
const CONFIG_RESOURCES = enumValues(ConfigResourceTypes)

function hasDuplicates(names: unknown[]): boolean {
  return new Set(names).size < names.length
}

export function validateCreateTopics(topics: unknown): void {
  if (!topics || !Array.isArray(topics)) fail(`Invalid topics array ${String(topics)}`)
  const entries = topics as Loose[]
  if (entries.some(({ topic }) => typeof topic !== 'string')) fail('Invalid topics array, the topic names have to be a valid string')
  if (hasDuplicates(entries.map(({ topic }) => topic))) fail('Invalid topics array, it cannot have multiple entries for the same topic')
  for (const { topic, configEntries } of entries) {
    if (configEntries == null) continue
    if (!Array.isArray(configEntries)) fail(`Invalid configEntries for topic "${String(topic)}", must be an array`)
    configEntries.forEach((entry: unknown, index) => {
      if (typeof entry !== 'object' || entry === null) fail(`Invalid configEntries for topic "${String(topic)}". Entry ${index} must be an object`)
      for (const property of ['name', 'value']) {
        if (!Object.prototype.hasOwnProperty.call(entry, property) || typeof (entry as Loose)[property] !== 'string') {
          fail(`Invalid configEntries for topic "${String(topic)}". Entry ${index} must have a valid "${property}" property`)
        }
      }
    })
  }
}

export function validateCreatePartitions(topicPartitions: unknown): void {
  if (!topicPartitions || !Array.isArray(topicPartitions)) fail(`Invalid topic partitions array ${String(topicPartitions)}`)
  if (topicPartitions.length === 0) fail('Empty topic partitions array')
  const entries = topicPartitions as Loose[]
  if (entries.some(({ topic }) => typeof topic !== 'string')) fail('Invalid topic partitions array, the topic names have to be a valid string')
  if (hasDuplicates(entries.map(({ topic }) => topic))) fail('Invalid topic partitions array, it cannot have multiple entries for the same topic')
}

export function validateDeleteTopics(topics: unknown): void {
  if (!topics || !Array.isArray(topics)) fail(`Invalid topics array ${String(topics)}`)
  if (topics.some((topic) => typeof topic !== 'string')) fail('Invalid topics array, the names must be a valid string')
}

export function validateTopic(topic: unknown): asserts topic is string {
  if (!topic || typeof topic !== 'string') fail(`Invalid topic ${String(topic)}`)
}

export function validateGroupAndTopic(groupId: unknown, topic: unknown): void {
  if (!groupId) fail(`Invalid groupId ${String(groupId)}`)
  if (!topic) fail(`Invalid topic ${String(topic)}`)
}

/** One seek entry as KafkaJS's consumer `seek` checks it (setOffsets commits through a consumer there). */
export function validateSeek(partition: unknown, offset: unknown): bigint {
  if (Number.isNaN(Number(partition))) fail(`Invalid partition, expected a number received ${String(partition)}`)
  let value: bigint
  try {
    value = BigInt(offset as string | number | bigint)
  } catch {
    fail(`Invalid offset, expected a long received ${String(offset)}`)
  }
  if (value < 0n && value !== -1n && value !== -2n) fail('Offset must not be a negative number')
  return value
}

function validateConfigResources(resources: unknown): Loose[] {
  if (!resources || !Array.isArray(resources)) fail(`Invalid resources array ${String(resources)}`)
  if (resources.length === 0) fail('Resources array cannot be empty')
  const entries = resources as Loose[]
  const invalidType = entries.find((r) => !CONFIG_RESOURCES.includes(r.type))
  if (invalidType) fail(`Invalid resource type ${String(invalidType.type)}: ${JSON.stringify(invalidType)}`)
  const invalidName = entries.find((r) => !r.name || typeof r.name !== 'string')
  if (invalidName) fail(`Invalid resource name ${String(invalidName.name)}: ${JSON.stringify(invalidName)}`)
  return entries
}

export function validateDescribeConfigs(resources: unknown): void {
  const entries = validateConfigResources(resources)
  const invalid = entries.find((r) => !Array.isArray(r.configNames) && r.configNames != null)
  if (invalid) fail(`Invalid resource configNames ${String(invalid.configNames)}: ${JSON.stringify(invalid)}`)
}

export function validateAlterConfigs(resources: unknown): void {
  const entries = validateConfigResources(resources)
  const invalid = entries.find((r) => !Array.isArray(r.configEntries))
  if (invalid) fail(`Invalid resource configEntries ${String(invalid.configEntries)}: ${JSON.stringify(invalid)}`)
  const invalidValue = entries.find((r) => (r.configEntries as Loose[]).some((e) => typeof e.name !== 'string' || typeof e.value !== 'string'))
  if (invalidValue) fail(`Invalid resource config value: ${JSON.stringify(invalidValue)}`)
}

export function validateDeleteGroups(groupIds: unknown): void {
  if (!groupIds || !Array.isArray(groupIds)) fail(`Invalid groupIds array ${String(groupIds)}`)
  // KafkaJS prints the result of `some` here, so its message reads "Invalid groupId name: true".
  const invalid = groupIds.some((g) => typeof g !== 'string')
  if (invalid) fail(`Invalid groupId name: ${JSON.stringify(invalid)}`)
}

/** The enum checks KafkaJS makes on ACL entries and filters, in its order. */
function validateAclEnums(entries: Loose[]): void {
  let invalid = entries.find((i) => !OPERATIONS.includes(i.operation))
  if (invalid) fail(`Invalid operation type ${String(invalid.operation)}: ${JSON.stringify(invalid)}`)
  invalid = entries.find((i) => !PATTERNS.includes(i.resourcePatternType))
  if (invalid) fail(`Invalid resource pattern type ${String(invalid.resourcePatternType)}: ${JSON.stringify(invalid)}`)
  invalid = entries.find((i) => !PERMISSIONS.includes(i.permissionType))
  if (invalid) fail(`Invalid permission type ${String(invalid.permissionType)}: ${JSON.stringify(invalid)}`)
  invalid = entries.find((i) => !ACL_RESOURCES.includes(i.resourceType))
  if (invalid) fail(`Invalid resource type ${String(invalid.resourceType)}: ${JSON.stringify(invalid)}`)
}

export function validateCreateAcls(acl: unknown): void {
  if (!acl || !Array.isArray(acl)) fail(`Invalid ACL array ${String(acl)}`)
  if (acl.length === 0) fail('Empty ACL array')
  const entries = acl as Loose[]
  if (entries.some(({ principal }) => typeof principal !== 'string')) fail('Invalid ACL array, the principals have to be a valid string')
  if (entries.some(({ host }) => typeof host !== 'string')) fail('Invalid ACL array, the hosts have to be a valid string')
  if (entries.some(({ resourceName }) => typeof resourceName !== 'string')) fail('Invalid ACL array, the resourceNames have to be a valid string')
  validateAclEnums(entries)
}

const optionalString = (value: unknown) => typeof value !== 'string' && typeof value !== 'undefined'

export function validateDescribeAcls(filter: Loose): void {
  if (optionalString(filter.principal)) fail('Invalid principal, the principal have to be a valid string')
  if (optionalString(filter.host)) fail('Invalid host, the host have to be a valid string')
  if (optionalString(filter.resourceName)) fail('Invalid resourceName, the resourceName have to be a valid string')
  if (!OPERATIONS.includes(filter.operation)) fail(`Invalid operation type ${String(filter.operation)}`)
  if (!PATTERNS.includes(filter.resourcePatternType)) fail(`Invalid resource pattern filter type ${String(filter.resourcePatternType)}`)
  if (!PERMISSIONS.includes(filter.permissionType)) fail(`Invalid permission type ${String(filter.permissionType)}`)
  if (!ACL_RESOURCES.includes(filter.resourceType)) fail(`Invalid resource type ${String(filter.resourceType)}`)
}

export function validateDeleteAcls(filters: unknown): void {
  if (!filters || !Array.isArray(filters)) fail(`Invalid ACL Filter array ${String(filters)}`)
  if (filters.length === 0) fail('Empty ACL Filter array')
  const entries = filters as Loose[]
  if (entries.some(({ principal }) => optionalString(principal))) fail('Invalid ACL Filter array, the principals have to be a valid string')
  if (entries.some(({ host }) => optionalString(host))) fail('Invalid ACL Filter array, the hosts have to be a valid string')
  if (entries.some(({ resourceName }) => optionalString(resourceName))) fail('Invalid ACL Filter array, the resourceNames have to be a valid string')
  validateAclEnums(entries)
}

export function validateAlterPartitionReassignments(topics: unknown): void {
  if (!topics || !Array.isArray(topics)) fail(`Invalid topics array ${String(topics)}`)
  const entries = topics as Loose[]
  if (entries.some(({ topic }) => typeof topic !== 'string')) fail('Invalid topics array, the topic names have to be a valid string')
  if (hasDuplicates(entries.map(({ topic }) => topic))) fail('Invalid topics array, it cannot have multiple entries for the same topic')
  for (const { topic, partitionAssignment } of entries) {
    if (!partitionAssignment || !Array.isArray(partitionAssignment)) {
      fail(`Invalid partitions array: ${String(partitionAssignment)} for topic: ${String(topic)}`)
    }
    for (const { partition, replicas } of partitionAssignment as Loose[]) {
      if (typeof partition !== 'number' || partition < 0) fail(`Invalid partitions index: ${String(partition)} for topic: ${String(topic)}`)
      if (!replicas || !Array.isArray(replicas)) fail(`Invalid replica assignment: ${String(replicas)} for topic: ${String(topic)} on partition: ${partition}`)
      if (replicas.some((replica) => typeof replica !== 'number' || replica < 0)) {
        fail(`Invalid replica assignment: ${String(replicas)} for topic: ${String(topic)} on partition: ${partition}. Replicas must be a non negative number`)
      }
    }
  }
}

export function validateListPartitionReassignments(topics: unknown): void {
  if (!topics) return
  if (!Array.isArray(topics)) fail(`Invalid topics array ${String(topics)}`)
  const entries = topics as Loose[]
  if (entries.some(({ topic }) => typeof topic !== 'string')) fail('Invalid topics array, the topic names have to be a valid string')
  if (hasDuplicates(entries.map(({ topic }) => topic))) fail('Invalid topics array, it cannot have multiple entries for the same topic')
  for (const { topic, partitions } of entries) {
    if (!partitions || !Array.isArray(partitions)) fail(`Invalid partition array: ${String(partitions)} for topic: ${String(topic)}`)
    if (partitions.some((partition) => typeof partition !== 'number' || partition < 0)) {
      fail(`Invalid partition array: ${String(partitions)} for topic: ${String(topic)}. The partition indices have to be a valid number greater than 0.`)
    }
  }
}
