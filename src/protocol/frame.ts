import { ProtocolDecodeError } from '../errors.js'
import type { AnyApiCodec, ApiCodec } from './codec.js'
import { asDecodeError } from './codec.js'
import { apis } from './generated/index.js'
import { RequestHeaderCodec } from './generated/RequestHeader.js'
import { ResponseHeaderCodec } from './generated/ResponseHeader.js'
import { Reader } from './reader.js'
import { Writer } from './writer.js'

/**
 * Encodes a whole request frame: 4-byte size prefix, request header, body, in one allocation.
 * The header version follows the API's flexibility at `version` (v2 flexible, else v1).
 */
export function encodeRequestFrame<ReqIn>(
  api: ApiCodec<unknown, unknown, ReqIn, unknown>,
  version: number,
  correlationId: number,
  clientId: string | null,
  body: ReqIn,
): Buffer {
  const headerVersion = api.requestHeaderVersion(version)
  const header = { requestApiKey: api.apiKey, requestApiVersion: version, correlationId, clientId }
  const w = new Writer(version)
  const headerSize = RequestHeaderCodec.size(w, headerVersion, header)
  const bodySize = api.request.size(w, version, body)
  const total = 4 + headerSize + bodySize
  w.allocate(total)
  w.int32(headerSize + bodySize)
  RequestHeaderCodec.write(w, headerVersion, header)
  api.request.write(w, version, body)
  return w.buf
}

/**
 * Like `encodeRequestFrame`, but the buffers in `external` (e.g. sealed record batches) are not copied into the
 * frame: the result is the frame as parts, in order, for one vectored write. Saves a copy of every payload byte
 * and the allocation of a frame as large as the payload.
 */
export function encodeRequestFrameParts<ReqIn>(
  api: ApiCodec<unknown, unknown, ReqIn, unknown>,
  version: number,
  correlationId: number,
  clientId: string | null,
  body: ReqIn,
  external: ReadonlySet<Buffer>,
): Buffer[] {
  const headerVersion = api.requestHeaderVersion(version)
  const header = { requestApiKey: api.apiKey, requestApiVersion: version, correlationId, clientId }
  const w = new Writer(version)
  const headerSize = RequestHeaderCodec.size(w, headerVersion, header)
  const bodySize = api.request.size(w, version, body)
  let externalSize = 0
  for (const b of external) externalSize += b.length
  w.allocate(4 + headerSize + bodySize - externalSize)
  w.external = external
  w.int32(headerSize + bodySize)
  RequestHeaderCodec.write(w, headerVersion, header)
  api.request.write(w, version, body)
  return w.vectored()
}

/** A decoded response frame. */
export interface ResponseFrame<Res> {
  correlationId: number
  body: Res
}

/**
 * Decodes a response frame (without its 4-byte size prefix): the response header for `version` (ApiVersions
 * always uses v0), then the body. Errors are `ProtocolDecodeError`.
 */
export function decodeResponseFrame<Res>(
  api: ApiCodec<unknown, Res, unknown, unknown>,
  version: number,
  frame: Buffer,
): ResponseFrame<Res> {
  const r = new Reader(frame, 0, frame.length, api.response.name, version)
  let header
  try {
    header = ResponseHeaderCodec.read(r, api.responseHeaderVersion(version))
  } catch (err) {
    throw asDecodeError(err, r)
  }
  const body = api.response.read(r, version)
  return { correlationId: header.correlationId, body }
}

/** The correlation id at the start of a response frame (without size prefix), read before knowing the API. */
export function peekCorrelationId(frame: Buffer): number {
  if (frame.length < 4) {
    throw new ProtocolDecodeError(`response frame of ${frame.length} byte(s) is too short for a correlation id`, { offset: 0 })
  }
  return frame.readInt32BE(0)
}

/**
 * Encodes a whole response frame (size prefix, response header, body) in one allocation: the broker side of
 * `decodeResponseFrame`, for test brokers and proxies.
 */
export function encodeResponseFrame<ResIn>(
  api: ApiCodec<unknown, unknown, unknown, ResIn>,
  version: number,
  correlationId: number,
  body: ResIn,
): Buffer {
  const headerVersion = api.responseHeaderVersion(version)
  const header = { correlationId }
  const w = new Writer(version)
  const headerSize = ResponseHeaderCodec.size(w, headerVersion, header)
  const bodySize = api.response.size(w, version, body)
  w.allocate(4 + headerSize + bodySize)
  w.int32(headerSize + bodySize)
  ResponseHeaderCodec.write(w, headerVersion, header)
  api.response.write(w, version, body)
  return w.buf
}

/** A decoded request frame. */
export interface RequestFrame {
  apiKey: number
  apiVersion: number
  correlationId: number
  clientId: string | null
  api: AnyApiCodec
  body: unknown
}

/**
 * Decodes a request frame (without its size prefix): reads the API key and version, picks the API from
 * `apiTable` (the generated `apis` by default) and its header version, then the header and the body. Unknown
 * APIs and unsupported versions are `ProtocolDecodeError`s.
 */
export function decodeRequestFrame(frame: Buffer, apiTable: { readonly [apiKey: number]: AnyApiCodec | undefined } = apis): RequestFrame {
  if (frame.length < 4) {
    throw new ProtocolDecodeError(`request frame of ${frame.length} byte(s) is too short for an API key and version`, { offset: 0 })
  }
  const apiKey = frame.readInt16BE(0)
  const apiVersion = frame.readInt16BE(2)
  const api = apiTable[apiKey]
  if (api === undefined) throw new ProtocolDecodeError(`unknown API key ${apiKey}`, { offset: 0 })
  if (!api.request.hasVersion(apiVersion)) {
    throw new ProtocolDecodeError(`${api.name} has no version ${apiVersion}`, { apiName: api.request.name, version: apiVersion, offset: 2 })
  }
  const r = new Reader(frame, 0, frame.length, 'RequestHeader', apiVersion)
  let header
  try {
    header = RequestHeaderCodec.read(r, api.requestHeaderVersion(apiVersion))
  } catch (err) {
    throw asDecodeError(err, r)
  }
  const body = api.request.read(r, apiVersion)
  return { apiKey, apiVersion, correlationId: header.correlationId, clientId: header.clientId ?? null, api, body }
}
