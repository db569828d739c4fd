// Testing an application with FakeKafka under node:test. Run: node --test examples/testing/orders.node-test.test.mjs
import { test, beforeEach, afterEach } from 'node:test'
import assert from 'node:assert/strict'
import { FakeKafka } from 'samsa/testing'
import { OrderService } from './order-service.cjs'

let fake
let service

beforeEach(async () => {
  fake = await FakeKafka.start({ brokers: 3, topics: [{ name: 'orders', partitions: 6 }] })
  service = new OrderService({ brokers: fake.bootstrap, deliveryTimeoutMs: 2000 })
})

afterEach(async () => {
  await service.close()
  await fake.stop()
})

test('an order survives the crash of its partition leader', async () => {
  const first = await service.placeOrder({ customerId: 'c-9', total: 1 })
  await fake.killBroker(fake.cluster.partition('orders', first.partition).leader)
  const second = await service.placeOrder({ customerId: 'c-9', total: 2 })
  assert.equal(second.partition, first.partition)
  assert.deepEqual(fake.records('orders', first.partition).map((r) => JSON.parse(r.value.toString()).total), [1, 2])
})

test('a broker that stops answering makes placeOrder fail instead of hanging', async () => {
  fake.control({ api: 'Produce', action: 'silent' })
  await assert.rejects(service.placeOrder({ customerId: 'c-1', total: 5 }), { name: 'TimeoutError' })
})
