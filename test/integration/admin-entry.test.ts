/**
 * The admin client as users get it: `new Kafka(config).admin()` from the package entry, sharing the Kafka's
 * connections, released by `close()`.
 */
import { Admin, Kafka, KafkaProtocolError } from '../../src/index.js'
import { AbortedError } from '../../src/network/abort.js'
import { bootstrapList, eventually, uniqueName } from './admin-support.js'

describe('kafka.admin()', () => {
  const name = uniqueName('entry')

  it('creates and describes a topic through the public entry point, then closes', async () => {
    const kafka = new Kafka({ brokers: bootstrapList(), clientId: 'samsa-admin-entry', logger: false })
    const admin = kafka.admin({ defaultTimeoutMs: 20_000 })
    expect(admin).toBeInstanceOf(Admin)
    try {
      const [created] = await admin.createTopics([{ name, numPartitions: 2, replicationFactor: 1 }])
      expect(created!.error).toBeNull()
      const [described] = await eventually(async () => {
        const result = await admin.describeTopics([name])
        expect(result[0]!.error).toBeNull()
        return result
      })
      expect(described!.partitions.map((p) => p.partition)).toEqual([0, 1])
      const [again] = await admin.createTopics([{ name, numPartitions: 2, replicationFactor: 1 }])
      expect(again!.error).toBeInstanceOf(KafkaProtocolError)
    } finally {
      await admin.close()
    }
  })

  it('an aborted signal stops a call with AbortedError; the client still works afterwards', async () => {
    const kafka = new Kafka({ brokers: bootstrapList(), clientId: 'samsa-admin-entry', logger: false })
    const admin = kafka.admin()
    try {
      await expect(admin.listTopics({ signal: AbortSignal.abort() })).rejects.toBeInstanceOf(AbortedError)
      expect((await admin.listTopics()).map((t) => t.name)).toContain(name)
    } finally {
      await admin.close()
    }
  })
})
