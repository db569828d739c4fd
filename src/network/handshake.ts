/**
 * What a connection says to a broker before the caller's first request: ApiVersions, to learn which versions both
 * sides speak (falling back when the broker is older than this client), then, when configured, SASL. These
 * requests go out ahead of the connection's queue, on the opener's signal, and a failure fails the opening. The
 * connection owns the socket and the state around them (when to re-authenticate, what waits meanwhile); this file
 * owns what is sent and how each answer is read.
 */
import { AuthenticationError, KafkaError, KafkaProtocolError, ProtocolDecodeError } from '../errors.js'
import { type AnyApiCodec, type ApiCodec, apis, ApiKeys, errorFromCode, ErrorCodes } from '../protocol/index.js'
import type { SaslMechanism } from './sasl/mechanism.js'
import { negotiateVersions, type BrokerApiVersions, type NegotiatedVersions } from './versions.js'

const { UNSUPPORTED_VERSION, REBOOTSTRAP_REQUIRED } = ErrorCodes

/** Sends one handshake request on the connection, ahead of its queue, and resolves with the decoded body. */
export type HandshakeSend = (api: AnyApiCodec, version: number, body: unknown) => Promise<unknown>

/** The broker end of the connection, for requests that name it and for errors. */
export interface HandshakePeer {
  readonly host: string
  readonly port: number
  readonly nodeId: number | null
  readonly broker: string
}

/** Reported to brokers in ApiVersions (KIP-511). */
const SOFTWARE_VERSION = '0.1.0'

interface ApiVersionsResponseShape {
  errorCode: number
  apiKeys: Array<{ apiKey: number; minVersion: number; maxVersion: number }>
  finalizedFeatures?: Array<{ name: string; minVersionLevel: number; maxVersionLevel: number }>
  finalizedFeaturesEpoch?: bigint
  supportedFeatures?: Array<{ name: string; minVersion: number; maxVersion: number }>
}

/**
 * Asks the broker which versions it speaks and picks, per API, the highest both sides know. `expectedClusterId`
 * (with the peer's node id) lets ApiVersions v5 refuse a connection to the wrong cluster or node (KIP-1242).
 */
export async function negotiateApiVersions(
  send: HandshakeSend,
  peer: HandshakePeer,
  options: { expectedClusterId: string | null; allowUnstableVersions: boolean },
): Promise<NegotiatedVersions> {
  const api = apis[ApiKeys.ApiVersions] as ApiCodec<Record<string, unknown>, ApiVersionsResponseShape>
  let version = api.maxVersion
  if (api.latestVersionUnstable && !options.allowUnstableVersions) version--
  const { expectedClusterId } = options
  const request =
    expectedClusterId !== null && peer.nodeId !== null
      ? { clientSoftwareName: 'samsa', clientSoftwareVersion: SOFTWARE_VERSION, clusterId: expectedClusterId, nodeId: peer.nodeId }
      : { clientSoftwareName: 'samsa', clientSoftwareVersion: SOFTWARE_VERSION }
  for (let attempt = 0; attempt < 3; attempt++) {
    const response = (await send(api as AnyApiCodec, version, request).catch((error: unknown) => {
      // A broker that does not know this ApiVersions version answers in the v0 layout; decoding at our
      // version then fails. Fall back to v0 to learn the broker's range. Anything else (a timeout, a lost or
      // closed connection, an abort) is the answer.
      if (version > 0 && error instanceof ProtocolDecodeError) return null
      throw error
    })) as ApiVersionsResponseShape | null
    if (response === null) {
      version = 0
      continue
    }
    if (response.errorCode === UNSUPPORTED_VERSION) {
      const own = response.apiKeys.find((k) => k.apiKey === ApiKeys.ApiVersions)
      const next = own ? Math.min(own.maxVersion, version - 1) : 0
      if (next === version || next < 0) break
      version = next
      continue
    }
    if (response.errorCode === REBOOTSTRAP_REQUIRED) {
      throw new KafkaProtocolError(REBOOTSTRAP_REQUIRED, 'REBOOTSTRAP_REQUIRED', true, {
        context: `ApiVersions: ${peer.broker} is not node ${peer.nodeId} of cluster ${expectedClusterId}`,
      })
    }
    if (response.errorCode !== 0) throw errorFromCode(response.errorCode, 'ApiVersions') ?? new KafkaError('ApiVersions failed')
    return negotiateVersions(toBrokerApiVersions(response), { allowUnstable: options.allowUnstableVersions })
  }
  throw new KafkaError(`Broker ${peer.broker} supports no ApiVersions version this client can speak`)
}

function toBrokerApiVersions(response: ApiVersionsResponseShape): BrokerApiVersions {
  return {
    apis: response.apiKeys.map((k) => ({ apiKey: k.apiKey, minVersion: k.minVersion, maxVersion: k.maxVersion })),
    finalizedFeatures: new Map((response.finalizedFeatures ?? []).map((f) => [f.name, f.maxVersionLevel])),
    finalizedFeaturesEpoch: response.finalizedFeaturesEpoch ?? -1n,
  }
}

/**
 * SaslHandshake, then the mechanism's exchange with each round trip in a SaslAuthenticate request. Resolves with
 * the session lifetime the broker granted (0 when it sets none); rejects with AuthenticationError.
 */
export async function authenticateSasl(send: HandshakeSend, peer: HandshakePeer, mechanism: SaslMechanism, versions: NegotiatedVersions): Promise<number> {
  const handshakeApi = apis[ApiKeys.SaslHandshake] as ApiCodec<{ mechanism: string }, { errorCode: number; mechanisms: string[] }>
  const authApi = apis[ApiKeys.SaslAuthenticate] as ApiCodec<
    { authBytes: Buffer },
    { errorCode: number; errorMessage: string | null; authBytes: Buffer; sessionLifetimeMs?: bigint }
  >
  const handshakeVersion = versions.require(ApiKeys.SaslHandshake)
  if (handshakeVersion < 1) throw new AuthenticationError(`Broker ${peer.broker} does not support SaslAuthenticate`)
  const handshake = (await send(handshakeApi as AnyApiCodec, handshakeVersion, { mechanism: mechanism.mechanism })) as {
    errorCode: number
    mechanisms: string[]
  }
  if (handshake.errorCode !== 0) {
    throw new AuthenticationError(
      `Broker ${peer.broker} does not accept SASL mechanism ${mechanism.mechanism} (enabled: ${handshake.mechanisms.join(', ') || 'none'})`,
    )
  }
  const authVersion = versions.require(ApiKeys.SaslAuthenticate)
  let sessionLifetimeMs = 0n
  await mechanism.authenticate(
    async (authBytes) => {
      const response = (await send(authApi as AnyApiCodec, authVersion, { authBytes })) as {
        errorCode: number
        errorMessage: string | null
        authBytes: Buffer
        sessionLifetimeMs?: bigint
      }
      if (response.errorCode !== 0) {
        const protocolError = errorFromCode(response.errorCode, 'SaslAuthenticate', response.errorMessage)
        throw new AuthenticationError(
          `SASL ${mechanism.mechanism} authentication with ${peer.broker} failed: ${protocolError?.errorName ?? response.errorCode}${
            response.errorMessage ? `: ${response.errorMessage}` : ''
          }`,
          { cause: protocolError },
        )
      }
      if (response.sessionLifetimeMs !== undefined) sessionLifetimeMs = response.sessionLifetimeMs
      return response.authBytes
    },
    { host: peer.host, port: peer.port },
  )
  return Number(sessionLifetimeMs)
}

/**
 * KIP-368: a broker with `connections.max.reauth.ms` closes connections whose session expired. Re-authenticate
 * at 85–95% of the lifetime (the Java client's window); null when the session does not expire.
 */
export function reauthenticationDelayMs(lifetimeMs: number): number | null {
  if (!(lifetimeMs > 0)) return null
  return Math.max(0, Math.floor(lifetimeMs * (0.85 + Math.random() * 0.1)))
}
