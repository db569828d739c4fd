/**
 * FindCoordinator: the leader of the key's partition of __consumer_offsets (groups) or __transaction_state
 * (transactional ids), as Kafka places them; COORDINATOR_NOT_AVAILABLE while that partition has no live leader.
 * v4+ batches keys (KIP-699).
 */
import { ErrorCodes } from '../../protocol/generated/error-codes.js'
import { defineHandler, type RequestContext } from '../registry.js'

const GROUP = 0
const TRANSACTION = 1

interface Found {
  key: string
  nodeId: number
  host: string
  port: number
  errorCode: number
  errorMessage: string | null
}

function find(ctx: RequestContext, key: string, keyType: number): Found {
  const miss = (errorCode: number, errorMessage: string): Found => ({ key, nodeId: -1, host: '', port: -1, errorCode, errorMessage })
  if (keyType !== GROUP && keyType !== TRANSACTION) return miss(ErrorCodes.INVALID_REQUEST, `Unsupported key type ${keyType}`)
  if (key === '' && keyType === TRANSACTION) return miss(ErrorCodes.INVALID_REQUEST, 'The transactional id is empty')
  const { broker } = ctx.cluster.coordinatorFor(keyType === GROUP ? 'group' : 'transaction', key)
  const node = ctx.cluster.brokers.get(broker)
  if (node === undefined || !node.alive) return miss(ErrorCodes.COORDINATOR_NOT_AVAILABLE, 'The coordinator is not available.')
  return { key, nodeId: node.id, host: node.host, port: node.port, errorCode: 0, errorMessage: null }
}

export const findCoordinatorHandlers = [
  defineHandler({
    api: 'FindCoordinator',
    handle(ctx, request) {
      const keyType = request.keyType ?? GROUP
      if (ctx.apiVersion >= 4) return { throttleTimeMs: 0, coordinators: (request.coordinatorKeys ?? []).map((key) => find(ctx, key, keyType)) }
      const { key: _key, ...found } = find(ctx, request.key ?? '', keyType)
      return { throttleTimeMs: 0, ...found }
    },
    errorResponse(ctx, request, errorCode) {
      if (ctx.apiVersion >= 4) return { coordinators: (request.coordinatorKeys ?? []).map((key) => ({ key, nodeId: -1, host: '', port: -1, errorCode, errorMessage: null })) }
      return { errorCode, nodeId: -1, host: '', port: -1 }
    },
  }),
]
