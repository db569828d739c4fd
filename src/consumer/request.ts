/** A typed front for `cluster.send`: request input and decoded response types come from the API key. */
import type { Cluster, SendOptions, Target } from '../network/cluster.js'
import { type ApiCodec, type Apis, apis } from '../protocol/index.js'

type KnownKey = Extract<keyof Apis, number>
export type RequestInputOf<K extends KnownKey> = Apis[K] extends ApiCodec<infer _Req, infer _Res, infer ReqIn, infer _ResIn> ? ReqIn : never
export type ResponseOf<K extends KnownKey> = Apis[K] extends ApiCodec<infer _Req, infer Res, infer _ReqIn, infer _ResIn> ? Res : never

export function request<K extends KnownKey>(
  cluster: Pick<Cluster, 'send'>,
  target: Target,
  apiKey: K,
  body: RequestInputOf<K> | ((version: number) => RequestInputOf<K>),
  options: SendOptions = {},
): Promise<ResponseOf<K>> {
  return cluster.send(target, apis[apiKey] as never, body as never, options) as Promise<ResponseOf<K>>
}
