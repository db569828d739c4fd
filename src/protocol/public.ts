/**
 * samsa/protocol: Kafka's wire protocol as generated codecs (every message, every version), the primitives they
 * are built on, request/response framing and the error table. For tools, proxies and test brokers.
 */
export * from './index.js'
