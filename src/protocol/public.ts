/**
 * samsa/protocol: Kafka's wire protocol as generated codecs (every message, every version), the primitives they
 * are built on, request/response framing and the error table. For tools, proxies and test brokers.
 *
 * Besides what the protocol layer exports to the clients (index.ts, where `apis` and `messageCodecs` load each
 * codec when it is first used), this entry point exports every codec by name (`FetchRequestCodec`, …), so
 * importing it loads them all.
 */
export * from './index.js'
export * from './generated/codecs.js'
