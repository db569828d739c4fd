/**
 * Streams groups (KIP-1071): describing them, topology and task assignments included. The group's own fields are
 * all this file maps; the request is the one every newer group type shares (group-coordinator.ts).
 */
import type { KafkaProtocolError } from '../errors.js'
import { ApiKeys } from '../protocol/index.js'
import { describeOnCoordinators, type GroupOutcome } from './group-coordinator.js'
import type { DescribeGroupsOptions } from './groups.js'
import type { AclOperation, AdminContext } from './internal.js'

export interface StreamsTasks {
  subtopologyId: string
  partitions: number[]
}

export interface StreamsAssignment {
  activeTasks: StreamsTasks[]
  standbyTasks: StreamsTasks[]
  warmupTasks: StreamsTasks[]
}

export interface StreamsGroupMemberDescription {
  memberId: string
  memberEpoch: number
  instanceId: string | null
  rackId: string | null
  clientId: string
  clientHost: string
  topologyEpoch: number
  processId: string
  userEndpoint: { host: string; port: number } | null
  clientTags: Record<string, string>
  /** The member runs the classic (pre-KIP-1071) protocol through the streams group. */
  isClassic: boolean
  assignment: StreamsAssignment
  targetAssignment: StreamsAssignment
}

export interface StreamsGroupDescription {
  groupId: string
  state: string
  groupEpoch: number
  assignmentEpoch: number
  /** null until a member has sent the topology. */
  topology: {
    epoch: number
    subtopologies: Array<{ subtopologyId: string; sourceTopics: string[]; repartitionSinkTopics: string[]; stateChangelogTopics: string[]; repartitionSourceTopics: string[] }>
  } | null
  members: StreamsGroupMemberDescription[]
  authorizedOperations: AclOperation[] | null
  error: KafkaProtocolError | null
}

function streamsAssignment(a: { activeTasks: StreamsTasks[]; standbyTasks: StreamsTasks[]; warmupTasks: StreamsTasks[] }): StreamsAssignment {
  const tasks = (list: StreamsTasks[]) => list.map((t) => ({ subtopologyId: t.subtopologyId, partitions: t.partitions }))
  return { activeTasks: tasks(a.activeTasks), standbyTasks: tasks(a.standbyTasks), warmupTasks: tasks(a.warmupTasks) }
}

export async function describeStreamsGroups(ctx: AdminContext, groupIds: string[], options: DescribeGroupsOptions = {}): Promise<StreamsGroupDescription[]> {
  return describeOnCoordinators(
    ctx,
    ApiKeys.StreamsGroupDescribe,
    groupIds,
    options,
    (g): Omit<StreamsGroupDescription, keyof GroupOutcome> => ({
      state: g.groupState,
      groupEpoch: g.groupEpoch,
      assignmentEpoch: g.assignmentEpoch,
      topology: g.topology
        ? {
            epoch: g.topology.epoch,
            subtopologies: (g.topology.subtopologies ?? []).map((s) => ({
              subtopologyId: s.subtopologyId,
              sourceTopics: s.sourceTopics,
              repartitionSinkTopics: s.repartitionSinkTopics,
              stateChangelogTopics: s.stateChangelogTopics.map((t) => t.name),
              repartitionSourceTopics: s.repartitionSourceTopics.map((t) => t.name),
            })),
          }
        : null,
      members: g.members.map((m) => ({
        memberId: m.memberId,
        memberEpoch: m.memberEpoch,
        instanceId: m.instanceId,
        rackId: m.rackId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        topologyEpoch: m.topologyEpoch,
        processId: m.processId,
        userEndpoint: m.userEndpoint ? { host: m.userEndpoint.host, port: m.userEndpoint.port } : null,
        clientTags: Object.fromEntries(m.clientTags.map((kv) => [kv.key, kv.value])),
        isClassic: m.isClassic,
        assignment: streamsAssignment(m.assignment),
        targetAssignment: streamsAssignment(m.targetAssignment),
      })),
    }),
    (groupId, error) => ({ groupId, state: 'Unknown', groupEpoch: -1, assignmentEpoch: -1, topology: null, members: [], authorizedOperations: null, error }),
  )
}
