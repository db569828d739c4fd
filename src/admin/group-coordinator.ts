/**
 * What the group admin calls share about reaching group coordinators: one describe shape for the newer group types
 * (consumer, share, streams), whose APIs differ only in the group's own fields, and the single-group send that
 * follows a coordinator while it moves or loads. Kept apart so each group type's file holds only its own mapping.
 */
import type { KafkaProtocolError } from '../errors.js'
import { ApiKeys } from '../protocol/index.js'
import type { DescribeGroupsOptions, MemberAssignment } from './groups.js'
import { type AclOperation, type AdminContext, authorizedOperations, itemError, type ResponseOf, send, sendToCoordinators } from './internal.js'

export function assignmentFrom(a: { topicPartitions: Array<{ topicName: string; partitions: number[] }> }): MemberAssignment[] {
  return a.topicPartitions.map((tp) => ({ topic: tp.topicName, partitions: tp.partitions }))
}

type GroupDescribeApi = typeof ApiKeys.ConsumerGroupDescribe | typeof ApiKeys.ShareGroupDescribe | typeof ApiKeys.StreamsGroupDescribe
type DescribedGroupOf<K extends GroupDescribeApi> = ResponseOf<K> extends { groups: Array<infer G> } ? G : never

/** What every group description carries, whatever the group's type. */
export interface GroupOutcome {
  groupId: string
  authorizedOperations: AclOperation[] | null
  error: KafkaProtocolError | null
}

/**
 * The describe APIs of the newer group types (consumer, share, streams) take the same request and report the same
 * per-group id, error and authorized operations; only the group's own fields differ, which `describe` maps.
 * `unknown` stands in for a group whose coordinator could not be reached.
 */
export async function describeOnCoordinators<K extends GroupDescribeApi, D extends GroupOutcome>(
  ctx: AdminContext,
  api: K,
  groupIds: string[],
  options: DescribeGroupsOptions,
  describe: (group: DescribedGroupOf<K>) => Omit<D, keyof GroupOutcome>,
  unknown: (groupId: string, error: KafkaProtocolError) => D,
): Promise<D[]> {
  const includeAuthorizedOperations = options.includeAuthorizedOperations ?? false
  return sendToCoordinators(
    ctx,
    'group',
    groupIds,
    async (nodeId, batch) => {
      // Sent as the union of the three APIs, whose request and common group fields TypeScript can check; `describe`
      // gets each group back as the one API's own type.
      const anyOfThem: GroupDescribeApi = api
      const response = await send(ctx, { kind: 'node', nodeId }, anyOfThem, { groupIds: batch, includeAuthorizedOperations }, { signal: options.signal, purpose: 'group' })
      return new Map(
        response.groups.map((g) => [
          g.groupId,
          {
            groupId: g.groupId,
            ...describe(g as DescribedGroupOf<K>),
            authorizedOperations: includeAuthorizedOperations ? authorizedOperations(g.authorizedOperations) : null,
            error: itemError(g.errorCode, g.groupId, g.errorMessage),
          } as D,
        ]),
      )
    },
    unknown,
  )
}

interface GroupAnswer<A> {
  error: KafkaProtocolError | null
  answers: A
}

/**
 * Sends a request about one group to the group's coordinator, looking the coordinator up again while it moves or
 * loads. Resolves to what `sendOnce` made of the response, or to `noAnswers` with the error when no coordinator
 * could be reached.
 */
export async function onGroupCoordinator<A>(
  ctx: AdminContext,
  groupId: string,
  sendOnce: (nodeId: number) => Promise<GroupAnswer<A>>,
  noAnswers: A,
  signal: AbortSignal | undefined,
): Promise<GroupAnswer<A>> {
  const [result] = await sendToCoordinators(ctx, 'group', [groupId], async (nodeId) => new Map([[groupId, await sendOnce(nodeId)]]), (_, error) => ({ error, answers: noAnswers }))
  return result!
}
