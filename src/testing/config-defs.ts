/**
 * The topic and broker configs the fake knows: Kafka 4.x's names, defaults, types and the broker setting a topic
 * default comes from (its synonym). Values are only validated and reported, except the few the fake acts on:
 * message.timestamp.type, min.insync.replicas, max.message.bytes.
 */

/** DescribeConfigs configType values (org.apache.kafka.clients.admin.ConfigEntry.ConfigType). */
export const ConfigType = { BOOLEAN: 1, STRING: 2, INT: 3, SHORT: 4, LONG: 5, DOUBLE: 6, LIST: 7, CLASS: 8, PASSWORD: 9 } as const
/** DescribeConfigs configSource values. */
export const ConfigSource = { DYNAMIC_TOPIC_CONFIG: 1, DYNAMIC_BROKER_CONFIG: 2, STATIC_BROKER_CONFIG: 4, DEFAULT_CONFIG: 5 } as const
/** Resource types of the config APIs. */
export const ResourceType = { TOPIC: 2, BROKER: 4, BROKER_LOGGER: 8 } as const

export interface ConfigDef {
  readonly default: string | null
  readonly type: number
  /** The broker config a topic default comes from, reported as a synonym. */
  readonly brokerName?: string
  readonly valid?: (value: string) => boolean
  readonly doc: string
}

const LONG_MAX = '9223372036854775807'
const isInt = (min: number) => (v: string) => /^-?\d+$/.test(v) && Number(v) >= min && Number(v) <= 2147483647
const isLong = (min: number) => (v: string) => /^-?\d+$/.test(v) && BigInt(v) >= BigInt(min) && BigInt(v) <= BigInt(LONG_MAX)
const isBool = (v: string) => v === 'true' || v === 'false'
const isRatio = (v: string) => /^\d*\.?\d+$/.test(v) && Number(v) >= 0 && Number(v) <= 1
const oneOf = (...values: string[]) => (v: string) => values.includes(v)
const listOf = (...values: string[]) => (v: string) => v.split(',').every((x) => values.includes(x.trim()))

const { BOOLEAN, STRING, INT, LONG, DOUBLE, LIST } = ConfigType

export const TOPIC_CONFIGS: ReadonlyMap<string, ConfigDef> = new Map<string, ConfigDef>([
  ['cleanup.policy', { default: 'delete', type: LIST, brokerName: 'log.cleanup.policy', valid: listOf('delete', 'compact', ''), doc: 'Retention policy: delete, compact, or both.' }],
  ['compression.type', { default: 'producer', type: STRING, brokerName: 'compression.type', valid: oneOf('uncompressed', 'zstd', 'lz4', 'snappy', 'gzip', 'producer'), doc: 'Final compression type for the topic.' }],
  ['compression.gzip.level', { default: '-1', type: INT, brokerName: 'compression.gzip.level', valid: (v) => /^-?\d+$/.test(v) && (Number(v) === -1 || (Number(v) >= 1 && Number(v) <= 9)), doc: 'gzip level.' }],
  ['compression.lz4.level', { default: '9', type: INT, brokerName: 'compression.lz4.level', valid: (v) => isInt(1)(v) && Number(v) <= 17, doc: 'lz4 level.' }],
  ['compression.zstd.level', { default: '3', type: INT, brokerName: 'compression.zstd.level', valid: (v) => /^-?\d+$/.test(v) && Number(v) >= -131072 && Number(v) <= 22, doc: 'zstd level.' }],
  ['delete.retention.ms', { default: '86400000', type: LONG, brokerName: 'log.cleaner.delete.retention.ms', valid: isLong(0), doc: 'How long delete tombstones are retained.' }],
  ['file.delete.delay.ms', { default: '60000', type: LONG, brokerName: 'log.segment.delete.delay.ms', valid: isLong(0), doc: 'Delay before deleting a file.' }],
  ['flush.messages', { default: LONG_MAX, type: LONG, brokerName: 'log.flush.interval.messages', valid: isLong(1), doc: 'Messages between forced fsyncs.' }],
  ['flush.ms', { default: LONG_MAX, type: LONG, brokerName: 'log.flush.interval.ms', valid: isLong(0), doc: 'Time between forced fsyncs.' }],
  ['index.interval.bytes', { default: '4096', type: INT, brokerName: 'log.index.interval.bytes', valid: isInt(0), doc: 'Offset index interval.' }],
  ['local.retention.bytes', { default: '-2', type: LONG, brokerName: 'log.local.retention.bytes', valid: isLong(-2), doc: 'Local retention size with tiered storage.' }],
  ['local.retention.ms', { default: '-2', type: LONG, brokerName: 'log.local.retention.ms', valid: isLong(-2), doc: 'Local retention time with tiered storage.' }],
  ['max.compaction.lag.ms', { default: LONG_MAX, type: LONG, brokerName: 'log.cleaner.max.compaction.lag.ms', valid: isLong(1), doc: 'Maximum time a message stays uncompacted.' }],
  ['max.message.bytes', { default: '1048588', type: INT, brokerName: 'message.max.bytes', valid: isInt(0), doc: 'Largest record batch size allowed.' }],
  ['message.timestamp.after.max.ms', { default: '3600000', type: LONG, brokerName: 'log.message.timestamp.after.max.ms', valid: isLong(0), doc: 'Allowed timestamp skew into the future.' }],
  ['message.timestamp.before.max.ms', { default: LONG_MAX, type: LONG, brokerName: 'log.message.timestamp.before.max.ms', valid: isLong(0), doc: 'Allowed timestamp skew into the past.' }],
  ['message.timestamp.type', { default: 'CreateTime', type: STRING, brokerName: 'log.message.timestamp.type', valid: oneOf('CreateTime', 'LogAppendTime'), doc: 'CreateTime or LogAppendTime.' }],
  ['min.cleanable.dirty.ratio', { default: '0.5', type: DOUBLE, brokerName: 'log.cleaner.min.cleanable.ratio', valid: isRatio, doc: 'Dirty ratio that triggers compaction.' }],
  ['min.compaction.lag.ms', { default: '0', type: LONG, brokerName: 'log.cleaner.min.compaction.lag.ms', valid: isLong(0), doc: 'Minimum time a message stays uncompacted.' }],
  ['min.insync.replicas', { default: '1', type: INT, brokerName: 'min.insync.replicas', valid: isInt(1), doc: 'Replicas that must acknowledge an acks=all write.' }],
  ['preallocate', { default: 'false', type: BOOLEAN, brokerName: 'log.preallocate', valid: isBool, doc: 'Preallocate segment files.' }],
  ['remote.storage.enable', { default: 'false', type: BOOLEAN, valid: isBool, doc: 'Tiered storage for this topic.' }],
  ['retention.bytes', { default: '-1', type: LONG, brokerName: 'log.retention.bytes', valid: isLong(-1), doc: 'Maximum partition size before old segments are deleted.' }],
  ['retention.ms', { default: '604800000', type: LONG, brokerName: 'log.retention.ms', valid: isLong(-1), doc: 'Maximum age of a segment before it is deleted.' }],
  ['segment.bytes', { default: '1073741824', type: INT, brokerName: 'log.segment.bytes', valid: isInt(1048576), doc: 'Segment file size.' }],
  ['segment.index.bytes', { default: '10485760', type: INT, brokerName: 'log.index.size.max.bytes', valid: isInt(4), doc: 'Offset index size.' }],
  ['segment.jitter.ms', { default: '0', type: LONG, brokerName: 'log.roll.jitter.ms', valid: isLong(0), doc: 'Random jitter on segment roll time.' }],
  ['segment.ms', { default: '604800000', type: LONG, brokerName: 'log.roll.ms', valid: isLong(1), doc: 'Time after which a segment is rolled.' }],
  ['unclean.leader.election.enable', { default: 'false', type: BOOLEAN, brokerName: 'unclean.leader.election.enable', valid: isBool, doc: 'Allow out-of-sync replicas to become leader.' }],
])

/** A plausible static broker configuration (what DescribeConfigs on a broker shows as STATIC_BROKER_CONFIG). */
export function brokerConfigs(brokerId: number, listener: string, defaults: { partitions: number; replicationFactor: number; autoCreate: boolean }): Map<string, { value: string; type: number; static: boolean }> {
  const entries: Array<[string, string, number, boolean]> = [
    ['node.id', String(brokerId), INT, true],
    ['broker.id', String(brokerId), INT, true],
    ['process.roles', 'broker,controller', LIST, true],
    ['listeners', listener, LIST, true],
    ['advertised.listeners', listener, LIST, true],
    ['auto.create.topics.enable', String(defaults.autoCreate), BOOLEAN, true],
    ['num.partitions', String(defaults.partitions), INT, true],
    ['default.replication.factor', String(defaults.replicationFactor), INT, true],
    ['offsets.topic.replication.factor', '1', ConfigType.SHORT, true],
    ['offsets.topic.num.partitions', '50', INT, false],
    ['transaction.state.log.replication.factor', '1', ConfigType.SHORT, true],
    ['transaction.state.log.num.partitions', '50', INT, false],
    ['group.initial.rebalance.delay.ms', '0', INT, true],
    ['message.max.bytes', '1048588', INT, false],
    ['socket.request.max.bytes', '104857600', INT, false],
    ['log.retention.hours', '168', INT, false],
    ['log.retention.ms', '604800000', LONG, false],
    ['log.segment.bytes', '1073741824', INT, false],
    ['log.cleanup.policy', 'delete', LIST, false],
    ['log.message.timestamp.type', 'CreateTime', STRING, false],
    ['min.insync.replicas', '1', INT, false],
    ['compression.type', 'producer', STRING, false],
    ['unclean.leader.election.enable', 'false', BOOLEAN, false],
    ['delete.topic.enable', 'true', BOOLEAN, false],
    ['group.coordinator.rebalance.protocols', 'classic,consumer', LIST, false],
    ['transactional.id.expiration.ms', '604800000', INT, false],
    ['replica.lag.time.max.ms', '30000', LONG, false],
    ['num.io.threads', '8', INT, false],
    ['num.network.threads', '3', INT, false],
    ['num.replica.fetchers', '1', INT, false],
    ['background.threads', '10', INT, false],
    ['log.dirs', '/tmp/fake-kafka-logs', STRING, true],
    ['log.retention.check.interval.ms', '300000', LONG, false],
    ['log.roll.hours', '168', INT, false],
    ['socket.send.buffer.bytes', '102400', INT, false],
    ['socket.receive.buffer.bytes', '102400', INT, false],
    ['controller.listener.names', 'CONTROLLER', STRING, true],
    ['inter.broker.listener.name', 'PLAINTEXT', STRING, false],
    ['listener.security.protocol.map', 'CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT', STRING, false],
    ['auto.leader.rebalance.enable', 'true', BOOLEAN, false],
    ['group.min.session.timeout.ms', '6000', INT, false],
    ['group.max.session.timeout.ms', '1800000', INT, false],
    ['offsets.retention.minutes', '10080', INT, false],
    ['broker.session.timeout.ms', '9000', INT, false],
  ]
  return new Map(entries.map(([name, value, type, isStatic]) => [name, { value, type, static: isStatic }]))
}
