/**
 * The facade's partitioners against KafkaJS 2.2.4's own (the installed `kafkajs` package is the oracle): the same
 * partition for thousands of keys, key types and partition counts, the same round-robin for unkeyed messages, and on
 * the broker, every record where the partitioner said.
 */
import nodeCrypto from 'node:crypto'
import { randomBytes } from 'node:crypto'
import { Partitioners as KafkaJSPartitioners, type PartitionMetadata as OraclePartitionMetadata } from 'kafkajs'
import { Partitioners, type ICustomPartitioner, type PartitionMetadata } from '../../src/kafkajs/index.js'
import { createTopics, logEntries, newKafka, uniqueName } from './support.js'
import { readAll } from './producer-helpers.js'

function metadata(count: number, leaderless: ReadonlySet<number> = new Set()): PartitionMetadata[] {
  return Array.from({ length: count }, (_, partitionId) => ({
    partitionErrorCode: 0,
    partitionId,
    leader: leaderless.has(partitionId) ? -1 : 1,
    replicas: [1],
    isr: [1],
    offlineReplicas: [],
  }))
}

function keys(n: number): Array<Buffer | string> {
  const out: Array<Buffer | string> = ['', 'a', 'ab', 'abc', 'abcd', 'abcde', 'é', '日本語のキー', '\u0000\u00ff']
  for (let i = 0; out.length < n; i++) {
    const bytes = randomBytes(i % 41)
    out.push(i % 3 === 0 ? bytes : i % 3 === 1 ? bytes.toString('base64') : `user-${i}-${bytes.toString('hex')}`)
  }
  return out
}

const cases: Array<[string, ICustomPartitioner, () => ReturnType<typeof KafkaJSPartitioners.DefaultPartitioner>]> = [
  ['DefaultPartitioner', Partitioners.DefaultPartitioner, KafkaJSPartitioners.DefaultPartitioner],
  ['LegacyPartitioner', Partitioners.LegacyPartitioner, KafkaJSPartitioners.LegacyPartitioner],
  ['JavaCompatiblePartitioner', Partitioners.JavaCompatiblePartitioner, KafkaJSPartitioners.JavaCompatiblePartitioner],
]

describe.each(cases)('%s', (_name, ours, theirs) => {
  test('places 5 000 keys on 1–64 partitions exactly as KafkaJS does', () => {
    const partition = ours()
    const oracle = theirs()
    let compared = 0
    for (const key of keys(5_000)) {
      for (const count of [1, 2, 3, 7, 12, 31, 64]) {
        const partitionMetadata = metadata(count)
        const expected = oracle({ topic: 't', partitionMetadata: partitionMetadata as OraclePartitionMetadata[], message: { key, value: null } })
        expect(partition({ topic: 't', partitionMetadata, message: { key, value: null } })).toBe(expected)
        compared++
      }
    }
    expect(compared).toBe(35_000)
  })

  test('an explicit partition wins over the key', () => {
    const partition = ours()
    expect(partition({ topic: 't', partitionMetadata: metadata(8), message: { key: 'k', value: 'v', partition: 5 } })).toBe(5)
  })

  test('unkeyed messages round-robin over partitions with a leader, per topic, exactly as KafkaJS from the same start', () => {
    // Both draw a random starting point per topic; fixing the random bytes makes their sequences comparable.
    const ourRandom = jest.spyOn(nodeCrypto, 'randomBytes').mockImplementation(((size: number) => Buffer.alloc(size, 0x7e)) as never)
    const theirRandom = jest.spyOn(globalThis.crypto, 'getRandomValues').mockImplementation(<T extends ArrayBufferView | null>(array: T): T => {
      if (array) new Uint8Array(array.buffer, array.byteOffset, array.byteLength).fill(0x7e)
      return array
    })
    try {
      const partition = ours()
      const oracle = theirs()
      const leaderless = new Set([1, 4])
      const seen = new Set<number>()
      for (let i = 0; i < 300; i++) {
        for (const [topic, partitionMetadata] of [['a', metadata(6, leaderless)], ['b', metadata(9)], ['c', metadata(3, new Set([0, 1, 2]))]] as const) {
          const expected = oracle({ topic, partitionMetadata: partitionMetadata as OraclePartitionMetadata[], message: { value: 'v' } })
          const actual = partition({ topic, partitionMetadata, message: { value: 'v', key: null } })
          expect(actual).toBe(expected)
          if (topic === 'a') seen.add(actual)
        }
      }
      expect([...seen].sort()).toEqual([0, 2, 3, 5])
    } finally {
      ourRandom.mockRestore()
      theirRandom.mockRestore()
    }
  })
})

describe('on the broker', () => {
  test.each([
    ['LegacyPartitioner', Partitioners.LegacyPartitioner, KafkaJSPartitioners.LegacyPartitioner],
    ['DefaultPartitioner', Partitioners.DefaultPartitioner, KafkaJSPartitioners.DefaultPartitioner],
  ] as const)('%s: every keyed record is read back from the partition KafkaJS would have chosen', async (_name, ours, theirs) => {
    const topic = uniqueName('placement')
    const partitions = 7
    await createTopics([{ topic, numPartitions: partitions }])
    const producer = newKafka().producer({ createPartitioner: ours })
    await producer.connect()
    const sent = keys(600).map((key, i) => ({ key, value: `v${i}` }))
    try {
      await producer.send({ topic, messages: sent })
    } finally {
      await producer.disconnect()
    }
    const oracle = theirs()
    const partitionMetadata = metadata(partitions) as OraclePartitionMetadata[]
    const records = await readAll(topic, partitions, sent.length)
    expect(records).toHaveLength(sent.length)
    for (const record of records) {
      const index = Number(record.value!.toString().slice(1))
      expect(record.partition).toBe(oracle({ topic, partitionMetadata, message: sent[index]! }))
    }
  })

  test('a custom partitioner sees KafkaJS partition metadata and the whole message, and decides the partition', async () => {
    const topic = uniqueName('custom')
    await createTopics([{ topic, numPartitions: 4 }])
    const seen: Array<{ count: number; leaders: boolean; header: string }> = []
    const byHeader: ICustomPartitioner = () => ({ partitionMetadata, message }) => {
      seen.push({ count: partitionMetadata.length, leaders: partitionMetadata.every((p) => p.leader >= 0 && p.isr.length > 0), header: String(message.headers?.target) })
      return Number(message.headers?.target)
    }
    const producer = newKafka().producer({ createPartitioner: byHeader })
    await producer.connect()
    try {
      const result = await producer.send({ topic, messages: [3, 1, 3, 0].map((target) => ({ value: `to-${target}`, headers: { target: String(target) } })) })
      expect(result.map((r) => r.partition)).toEqual([0, 1, 3])
    } finally {
      await producer.disconnect()
    }
    expect(seen).toEqual(['3', '1', '3', '0'].map((header) => ({ count: 4, leaders: true, header })))
    const records = await readAll(topic, 4, 4)
    for (const record of records) expect(record.value!.toString()).toBe(`to-${record.partition}`)
  })
})

describe('the default-partitioner warning', () => {
  const saved = process.env.KAFKAJS_NO_PARTITIONER_WARNING
  afterEach(() => {
    if (saved === undefined) delete process.env.KAFKAJS_NO_PARTITIONER_WARNING
    else process.env.KAFKAJS_NO_PARTITIONER_WARNING = saved
  })
  const warnings = (): number => logEntries.filter((e) => e.log.message.startsWith('KafkaJS v2.0.0 switched default partitioner')).length

  test('is logged once, only for producers without createPartitioner, unless KAFKAJS_NO_PARTITIONER_WARNING is set', () => {
    const kafka = newKafka()
    process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1'
    kafka.producer()
    expect(warnings()).toBe(0)
    delete process.env.KAFKAJS_NO_PARTITIONER_WARNING
    kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner })
    expect(warnings()).toBe(0)
    kafka.producer()
    expect(warnings()).toBe(1)
    kafka.producer()
    expect(warnings()).toBe(1)
  })
})
