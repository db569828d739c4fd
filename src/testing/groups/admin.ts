/**
 * The group admin APIs: DescribeGroups (classic groups, and KIP-848 groups as Kafka shows them to old clients),
 * ListGroups with the state (KIP-518) and type (KIP-848) filters, DeleteGroups.
 */
import { ErrorCodes } from '../../protocol/generated/error-codes.js'
import { defineHandler, type RequestContext } from '../registry.js'
import { memberMetadata } from './classic-group.js'
import { groupsOf } from './classic.js'
import type { ConsumerGroup, Group } from './coordinator.js'

export function consumerGroupState(group: ConsumerGroup): string {
  if (group.members.size === 0) return 'Empty'
  if (group.assignmentEpoch < group.groupEpoch) return 'Assigning'
  for (const m of group.members.values()) if (m.state !== 'stable' || m.memberEpoch !== group.assignmentEpoch) return 'Reconciling'
  return 'Stable'
}

function stateOf(group: Group | undefined): string {
  if (group === undefined) return 'Empty'
  return group.type === 'classic' ? group.state : consumerGroupState(group)
}

/** Every group this broker coordinates: live ones and those that exist only through committed offsets. */
function coordinatedGroups(ctx: RequestContext): string[] {
  const coord = groupsOf(ctx)
  const ids = new Set([...coord.groups.keys(), ...coord.offsets.keys()])
  return [...ids].filter((id) => coord.exists(id) && coord.check(ctx, id) === 0).sort()
}

export const groupAdminHandlers = [
  defineHandler({
    api: 'DescribeGroups',
    handle(ctx, req) {
      const coord = groupsOf(ctx)
      const groups = req.groups.map((groupId) => {
        const base = { groupId, errorCode: 0, errorMessage: null, groupState: 'Dead', protocolType: '', protocolData: '', members: [], authorizedOperations: -2147483648 }
        const refused = coord.check(ctx, groupId)
        if (refused !== 0) return { ...base, errorCode: refused }
        const group = coord.groups.get(groupId)
        if (!coord.exists(groupId)) {
          // v6 (KIP-1043) says the group is not there; older versions describe a Dead group.
          return ctx.apiVersion >= 6 ? { ...base, errorCode: ErrorCodes.GROUP_ID_NOT_FOUND, errorMessage: `Group ${groupId} not found.` } : base
        }
        if (group === undefined) return { ...base, groupState: 'Empty' }
        if (group.type === 'consumer') {
          return {
            ...base,
            groupState: consumerGroupState(group),
            protocolType: 'consumer',
            members: [...group.members.values()].map((m) => ({ memberId: m.memberId, groupInstanceId: m.instanceId, clientId: m.clientId, clientHost: m.clientHost, memberMetadata: Buffer.alloc(0), memberAssignment: Buffer.alloc(0) })),
          }
        }
        const stable = group.state === 'Stable'
        return {
          ...base,
          groupState: group.state,
          protocolType: group.protocolType ?? '',
          protocolData: stable ? (group.protocolName ?? '') : '',
          members: [...group.members.values()].map((m) => ({
            memberId: m.memberId,
            groupInstanceId: m.groupInstanceId,
            clientId: m.clientId,
            clientHost: m.clientHost,
            // As Kafka: metadata and assignment only once the group is Stable.
            memberMetadata: stable ? memberMetadata(group, m) : Buffer.alloc(0),
            memberAssignment: stable ? m.assignment : Buffer.alloc(0),
          })),
        }
      })
      return { throttleTimeMs: 0, groups }
    },
    errorResponse: (_ctx, req, errorCode) => ({ groups: req.groups.map((groupId) => ({ groupId, errorCode, groupState: '', protocolType: '', protocolData: '', members: [] })) }),
  }),
  defineHandler({
    api: 'ListGroups',
    handle(ctx, req) {
      const coord = groupsOf(ctx)
      const states = new Set((req.statesFilter ?? []).map((s) => s.toLowerCase()))
      const types = new Set((req.typesFilter ?? []).map((s) => s.toLowerCase()))
      const groups = coordinatedGroups(ctx)
        .map((groupId) => {
          const group = coord.groups.get(groupId)
          const groupType = group?.type ?? 'classic'
          const protocolType = group === undefined ? '' : group.type === 'consumer' ? 'consumer' : (group.protocolType ?? '')
          return { groupId, protocolType, groupState: stateOf(group), groupType }
        })
        .filter((g) => (states.size === 0 || states.has(g.groupState.toLowerCase())) && (types.size === 0 || types.has(g.groupType)))
      return { throttleTimeMs: 0, errorCode: 0, groups }
    },
    errorResponse: (_ctx, _req, errorCode) => ({ errorCode, groups: [] }),
  }),
  defineHandler({
    api: 'DeleteGroups',
    handle(ctx, req) {
      const coord = groupsOf(ctx)
      const results = req.groupsNames.map((groupId) => {
        const refused = coord.check(ctx, groupId)
        if (refused !== 0) return { groupId, errorCode: refused }
        if (!coord.exists(groupId)) return { groupId, errorCode: ErrorCodes.GROUP_ID_NOT_FOUND }
        if (!coord.isEmpty(groupId)) return { groupId, errorCode: ErrorCodes.NON_EMPTY_GROUP }
        coord.groups.delete(groupId)
        coord.offsets.delete(groupId)
        return { groupId, errorCode: 0 }
      })
      return { throttleTimeMs: 0, results }
    },
    errorResponse: (_ctx, req, errorCode) => ({ throttleTimeMs: 0, results: req.groupsNames.map((groupId) => ({ groupId, errorCode })) }),
  }),
]
