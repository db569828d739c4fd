// An order pipeline written for KafkaJS 2.2.4 — admin, a keyed producer, a consumer group and a transactional
// enricher. The import below is the only line that changed when it moved to samsa: swap it back to 'kafkajs'
// and the same file runs on KafkaJS (test/kafkajs/example.test.ts runs it both ways).
import { Kafka, logLevel, CompressionTypes } from 'samsa/kafkajs'

const brokers = (process.env.KAFKA_BROKERS ?? 'localhost:9092').split(',')
const run = `${Date.now()}-${process.pid}`
const orders = `orders-${run}`
const enriched = `orders-enriched-${run}`
const ORDER_COUNT = Number(process.env.ORDER_COUNT ?? 1000)

const kafka = new Kafka({ clientId: 'order-service', brokers, logLevel: logLevel.WARN })

async function createTopics() {
  const admin = kafka.admin()
  await admin.connect()
  await admin.createTopics({
    waitForLeaders: true,
    topics: [
      { topic: orders, numPartitions: 3 },
      { topic: enriched, numPartitions: 3 },
    ],
  })
  const { topics } = await admin.fetchTopicMetadata({ topics: [orders] })
  console.log(`topic ${orders}: ${topics[0].partitions.length} partitions`)
  await admin.disconnect()
}

async function produceOrders() {
  const producer = kafka.producer({ allowAutoTopicCreation: false })
  await producer.connect()
  const started = Date.now()
  for (let i = 0; i < ORDER_COUNT; i += 100) {
    const messages = []
    for (let j = i; j < Math.min(i + 100, ORDER_COUNT); j++) {
      messages.push({ key: `customer-${j % 17}`, value: JSON.stringify({ id: j, amount: (j % 50) + 1 }), headers: { source: 'web' } })
    }
    await producer.send({ topic: orders, compression: CompressionTypes.GZIP, messages })
  }
  console.log(`produced ${ORDER_COUNT} orders in ${Date.now() - started} ms`)
  await producer.disconnect()
}

// Reads orders in a group and writes each one, enriched, in a transaction that also commits the group's offsets:
// every order is enriched exactly once even if this process dies half way.
async function enrichOrders() {
  const consumer = kafka.consumer({ groupId: `enricher-${run}` })
  const producer = kafka.producer({ transactionalId: `enricher-${run}`, idempotent: true, maxInFlightRequests: 1 })
  await Promise.all([consumer.connect(), producer.connect()])
  await consumer.subscribe({ topics: [orders], fromBeginning: true })

  let seen = 0
  let total = 0
  let finish
  const done = new Promise((resolve) => (finish = resolve))
  await consumer.run({
    // The transaction commits the offsets; the consumer must not commit them on its own as well.
    autoCommit: false,
    eachBatchAutoResolve: false,
    eachBatch: async ({ batch, resolveOffset, heartbeat }) => {
      const transaction = await producer.transaction()
      try {
        await transaction.send({
          topic: enriched,
          messages: batch.messages.map((m) => {
            const order = JSON.parse(m.value.toString())
            return { key: m.key, value: JSON.stringify({ ...order, vat: order.amount * 0.2 }) }
          }),
        })
        const next = (BigInt(batch.lastOffset()) + 1n).toString()
        await transaction.sendOffsets({ consumerGroupId: `enricher-${run}`, topics: [{ topic: batch.topic, partitions: [{ partition: batch.partition, offset: next }] }] })
        await transaction.commit()
      } catch (error) {
        await transaction.abort()
        throw error
      }
      for (const m of batch.messages) {
        resolveOffset(m.offset)
        total += JSON.parse(m.value.toString()).amount
      }
      seen += batch.messages.length
      await heartbeat()
      if (seen >= ORDER_COUNT) finish()
    },
  })
  await done
  await consumer.disconnect()
  await producer.disconnect()
  console.log(`enriched ${seen} orders, total amount ${total}`)
  return { seen, total }
}

async function countEnriched() {
  const consumer = kafka.consumer({ groupId: `auditor-${run}`, readUncommitted: false })
  await consumer.connect()
  await consumer.subscribe({ topic: enriched, fromBeginning: true })
  const ids = new Set()
  let finish
  const done = new Promise((resolve) => (finish = resolve))
  await consumer.run({
    eachMessage: async ({ message }) => {
      ids.add(JSON.parse(message.value.toString()).id)
      if (ids.size >= ORDER_COUNT) finish()
    },
  })
  await done
  await consumer.disconnect()
  console.log(`audited ${ids.size} distinct enriched orders`)
  return ids.size
}

await createTopics()
await produceOrders()
const { seen } = await enrichOrders()
const audited = await countEnriched()
const expectedTotal = Array.from({ length: ORDER_COUNT }, (_, j) => (j % 50) + 1).reduce((a, b) => a + b, 0)
console.log(JSON.stringify({ produced: ORDER_COUNT, enriched: seen, audited, expectedTotal }))
if (audited !== ORDER_COUNT) process.exitCode = 1
