/**
 * A consumer program typed with kafkajs's own declarations, run against the facade: it compiles only if the
 * facade's types accept what KafkaJS's accept (tsc -p tsconfig.test.json checks it), and it runs on the broker.
 */
import { afterEach, expect, it } from '@jest/globals'
import type * as kafkajs from 'kafkajs'
import type { Consumer } from '../../src/kafkajs/index.js'
import { createTopics, newKafka, uniqueName, waitFor } from './support.js'
import { produceSpread } from './consumer-support.js'

let consumer: Consumer | null = null
afterEach(async () => {
  await consumer?.disconnect()
})

it('runs a program written against kafkajs’s types', async () => {
  const topic = uniqueName('typed')
  await createTopics([{ topic, numPartitions: 2 }])
  // partitionAssigners is left out: the facade's assigners get a narrower Cluster than KafkaJS's internal one.
  const config: Omit<kafkajs.ConsumerConfig, 'partitionAssigners'> = {
    groupId: uniqueName('g'),
    sessionTimeout: 10_000,
    heartbeatInterval: 1_000,
    maxWaitTimeInMs: 100,
    retry: { retries: 2, restartOnFailure: async () => true },
    readUncommitted: false,
  }
  consumer = newKafka().consumer(config)
  const joins: kafkajs.ConsumerGroupJoinEvent[] = []
  const batches: kafkajs.ConsumerEndBatchProcessEvent[] = []
  const remove: kafkajs.RemoveInstrumentationEventListener<'consumer.group_join'> = consumer.on(consumer.events.GROUP_JOIN, (e: kafkajs.ConsumerGroupJoinEvent) => joins.push(e))
  consumer.on(consumer.events.END_BATCH_PROCESS, (e: kafkajs.ConsumerEndBatchProcessEvent) => batches.push(e))
  const subscription: kafkajs.ConsumerSubscribeTopics = { topics: [topic], fromBeginning: true }
  await consumer.subscribe(subscription)
  const values: string[] = []
  const eachMessage: kafkajs.EachMessageHandler = async ({ message, heartbeat }: kafkajs.EachMessagePayload) => {
    const headers: kafkajs.IHeaders = message.headers ?? {}
    values.push(`${message.value!.toString()}${Object.keys(headers).length}`)
    await heartbeat()
  }
  const run: kafkajs.ConsumerRunConfig = { eachMessage, partitionsConsumedConcurrently: 2, autoCommitInterval: 1000 }
  await consumer.run(run)
  await produceSpread(topic, 4, 2)
  await waitFor(() => values.length === 4, 30_000, 'four messages')
  remove()
  const paused: kafkajs.TopicPartitions[] = consumer.paused()
  const group: kafkajs.GroupDescription = await consumer.describeGroup()
  expect(values.sort()).toEqual(['m-00', 'm-10', 'm-20', 'm-30'])
  expect(joins[0]!.payload.memberAssignment[topic]).toEqual([0, 1])
  expect(batches.length).toBeGreaterThan(0)
  expect(paused).toEqual([])
  expect(group.state).toBe('Stable')
})
