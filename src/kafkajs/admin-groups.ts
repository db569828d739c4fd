/**
 * The admin's consumer-group methods: listing, describing and deleting groups, and reading, setting and resetting
 * their committed offsets, in KafkaJS's shapes.
 */
import type { ConsumerGroupDescription, GroupMemberDescription } from '../admin/groups.js'
import { messageCodecs } from '../protocol/index.js'
import { encodeVersioned } from '../protocol/versioned.js'
import type { NativeCall, OffsetOperations } from './admin-offsets.js'
import type { ConsumerGroupState, DeleteGroupsResult, FetchOffsetsPartition, GroupDescription, GroupDescriptions, GroupOverview, MemberDescription, SeekEntry } from './admin-types.js'
import * as validate from './admin-validate.js'
import { KafkaJSDeleteGroupsError, KafkaJSNonRetriableError, type KafkaJSProtocolError, toKafkaJSError } from './errors.js'
import { throwFirstError } from './admin-errors.js'

const GROUP_ID_NOT_FOUND = 69

/** A KIP-848 member has no classic bytes; give KafkaJS programs the ones a classic member with its state would send. */
function memberBytes(member: GroupMemberDescription): { memberMetadata: Buffer; memberAssignment: Buffer } {
  return {
    memberMetadata:
      member.memberMetadata ?? encodeVersioned(messageCodecs.ConsumerProtocolSubscription, 0, { topics: member.subscribedTopics, userData: null }),
    memberAssignment:
      member.memberAssignment ??
      encodeVersioned(messageCodecs.ConsumerProtocolAssignment, 0, {
        assignedPartitions: member.assignment.map(({ topic, partitions }) => ({ topic, partitions })),
        userData: null,
      }),
  }
}

function groupDescription(group: ConsumerGroupDescription): GroupDescription {
  if (group.error?.code === GROUP_ID_NOT_FOUND) {
    // KafkaJS's DescribeGroups version reports a group that does not exist as Dead, without error.
    return { errorCode: 0, groupId: group.groupId, state: 'Dead', protocolType: '', protocol: '', members: [] }
  }
  return {
    errorCode: 0,
    groupId: group.groupId,
    // KIP-848 groups also have Assigning and Reconciling, which KafkaJS's union does not list.
    state: group.state as ConsumerGroupState,
    protocolType: group.protocolType,
    protocol: group.assignor,
    members: group.members.map(
      (m): MemberDescription => ({ memberId: m.memberId, clientId: m.clientId, clientHost: m.clientHost, ...memberBytes(m) }),
    ),
  }
}

export class GroupOperations {
  readonly #call: NativeCall
  readonly #offsets: OffsetOperations

  constructor(call: NativeCall, offsets: OffsetOperations) {
    this.#call = call
    this.#offsets = offsets
  }

  async listGroups(): Promise<{ groups: GroupOverview[] }> {
    const groups = await this.#call((admin) => admin.listGroups())
    return { groups: groups.map(({ groupId, protocolType }) => ({ groupId, protocolType })) }
  }

  async describeGroups(groupIds: string[]): Promise<GroupDescriptions> {
    const described = await this.#call((admin) => admin.describeGroups(groupIds))
    throwFirstError(described.filter((g) => g.error?.code !== GROUP_ID_NOT_FOUND))
    return { groups: described.map(groupDescription) }
  }

  /** `[{ groupId, errorCode: 0 }]` when every group is gone; otherwise a KafkaJSDeleteGroupsError naming the groups that failed. */
  async deleteGroups(groupIds: string[]): Promise<DeleteGroupsResult[]> {
    validate.validateDeleteGroups(groupIds)
    const results = await this.#call((admin) => admin.deleteGroups(groupIds))
    const failed = results.flatMap(({ groupId, error }) =>
      error ? [{ groupId, errorCode: error.code, error: toKafkaJSError(error) as KafkaJSProtocolError }] : [],
    )
    if (failed.length > 0) throw new KafkaJSDeleteGroupsError('Error in DeleteGroups', failed)
    return results.map(({ groupId }) => ({ groupId, errorCode: 0 }))
  }

  /**
   * Committed offsets of the group, for every partition of the given topics (-1 where nothing is committed) or for
   * every partition it committed when no topic is given. `resolveOffsets` turns -1 and -2 into the partition's
   * high and low watermarks and commits those, as KafkaJS does (so the group must be empty).
   */
  async fetchOffsets({
    groupId,
    topics,
    resolveOffsets = false,
  }: {
    groupId: string
    topics?: string[]
    resolveOffsets?: boolean
  }): Promise<Array<{ topic: string; partitions: FetchOffsetsPartition[] }>> {
    if (!groupId) throw new KafkaJSNonRetriableError(`Invalid groupId ${String(groupId)}`)
    const names = topics ?? []
    if (!Array.isArray(names)) throw new KafkaJSNonRetriableError('Expected topics array to be set')

    const partitions = (await Promise.all(names.map(async (topic) => (await this.#offsets.partitionsOf(topic)).map((partition) => ({ topic, partition }))))).flat()
    const [group] = await this.#call((admin) => admin.listConsumerGroupOffsets([names.length > 0 ? { groupId, partitions } : groupId]))
    if (!group) return []
    if (group.error) throw toKafkaJSError(group.error)
    throwFirstError(group.offsets)

    const byTopic = new Map<string, FetchOffsetsPartition[]>(names.map((topic) => [topic, []]))
    for (const { topic, partition, offset, metadata } of group.offsets) {
      let list = byTopic.get(topic)
      if (!list) {
        list = []
        byTopic.set(topic, list)
      }
      list.push({ partition, offset: offset.toString(), metadata: metadata || null })
    }
    for (const list of byTopic.values()) list.sort((a, b) => a.partition - b.partition)
    const result = [...byTopic].map(([topic, list]) => ({ topic, partitions: list }))
    if (!resolveOffsets) return result

    return Promise.all(
      result.map(async ({ topic, partitions: committed }) => {
        const watermarks = new Map((await this.#offsets.fetchTopicOffsets(topic)).map((w) => [w.partition, w]))
        const resolved = committed.map((p) => {
          const watermark = watermarks.get(p.partition)
          const offset = p.offset === '-1' ? watermark?.high : p.offset === '-2' ? watermark?.low : p.offset
          return { ...p, offset: offset ?? p.offset }
        })
        await this.setOffsets({ groupId, topic, partitions: resolved })
        return { topic, partitions: resolved }
      }),
    )
  }

  /**
   * Commits offsets for a group with no running members (-1 and -2 are committed as such: the group's consumers
   * then start from the end or the beginning). A group with members is refused, as in KafkaJS.
   */
  async setOffsets({ groupId, topic, partitions }: { groupId: string; topic: string; partitions: SeekEntry[] }): Promise<void> {
    validate.validateGroupAndTopic(groupId, topic)
    if (!partitions || partitions.length === 0) throw new KafkaJSNonRetriableError('Invalid partitions')
    const offsets = partitions.map(({ partition, offset }) => ({ topic, partition, offset: validate.validateSeek(partition, offset) }))

    const [group] = await this.#call((admin) => admin.describeGroups([groupId]))
    if (group?.error && group.error.code !== GROUP_ID_NOT_FOUND) throw toKafkaJSError(group.error)
    const state = !group || group.error ? 'Dead' : group.state
    if (state !== 'Empty' && state !== 'Dead') {
      throw new KafkaJSNonRetriableError(`The consumer group must have no running instances, current state: ${state}`)
    }
    // Members that join between the check and the commit make the coordinator refuse it (UNKNOWN_MEMBER_ID).
    throwFirstError(await this.#call((admin) => admin.alterConsumerGroupOffsets(groupId, offsets)))
  }

  /** Moves every partition of `topic` to its latest (default) or earliest offset, as -1 / -2. */
  async resetOffsets({ groupId, topic, earliest = false }: { groupId: string; topic: string; earliest: boolean }): Promise<void> {
    validate.validateGroupAndTopic(groupId, topic)
    const partitions = await this.#offsets.partitionsOf(topic)
    const offset = earliest ? '-2' : '-1'
    await this.setOffsets({ groupId, topic, partitions: partitions.map((partition) => ({ partition, offset })) })
  }
}
