/**
 * samsa/protocol: Kafka's wire protocol as generated codecs (every message, every version), the primitives they
 * are built on, request/response framing and the error table. For tools, proxies and test brokers.
 */
export { Reader, type UnknownTaggedField } from './reader.js'
export { Writer, EncodeError, uvarintSize, varintSize, varlongSize } from './writer.js'
export {
  MessageCodec,
  ApiCodec,
  type AnyMessageCodec,
  type AnyApiCodec,
  type ApiListener,
  type MessageType,
  type MessageCodecTables,
} from './codec.js'
export {
  encodeRequestFrame,
  encodeRequestFrameParts,
  decodeResponseFrame,
  encodeResponseFrame,
  decodeRequestFrame,
  peekCorrelationId,
  type ResponseFrame,
  type RequestFrame,
} from './frame.js'
export { errorFromCode, isRetriableCode, errorName } from './errors.js'
export * from './generated/index.js'
