import { ProtocolDecodeError } from '../errors.js'
import type { ApiCodec } from './codec.js'
import { asDecodeError } from './codec.js'
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
