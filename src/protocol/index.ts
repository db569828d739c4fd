/**
 * The protocol layer as the clients use it: primitives, framing, the error table, and the generated codecs through
 * `apis` and `messageCodecs`, which load each schema module the first time its codec is used (types of every
 * message are exported too; they cost nothing at run time). The samsa/protocol entry point is public.ts.
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
  type CodecSource,
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
