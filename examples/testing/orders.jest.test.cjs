// Testing an application with FakeKafka under Jest: a real client, a real socket, no broker to install.
// Run: npx jest --config examples/testing/jest.config.cjs
const { FakeKafka } = require('samsa/testing')
const { OrderService } = require('./order-service.cjs')

describe('OrderService', () => {
  let fake
  let service

  beforeEach(async () => {
    fake = await FakeKafka.start({ topics: [{ name: 'orders', partitions: 3 }] })
    service = new OrderService({ brokers: fake.bootstrap })
  })

  afterEach(async () => {
    await service.close()
    await fake.stop()
  })

  test('publishes an order keyed by customer', async () => {
    const meta = await service.placeOrder({ customerId: 'c-42', total: 10 })
    const [record] = fake.records('orders', meta.partition)
    expect(record.key.toString()).toBe('c-42')
    expect(JSON.parse(record.value.toString())).toEqual({ customerId: 'c-42', total: 10 })
    expect(record.headers).toEqual([['source', Buffer.from('order-service')]])
  })

  test("keeps one customer's orders on one partition, in order", async () => {
    for (let i = 1; i <= 5; i++) await service.placeOrder({ customerId: 'c-7', total: i })
    const partitions = [0, 1, 2].filter((p) => fake.records('orders', p).length > 0)
    expect(partitions).toHaveLength(1)
    expect(fake.records('orders', partitions[0]).map((r) => JSON.parse(r.value.toString()).total)).toEqual([1, 2, 3, 4, 5])
  })

  test('rides out a leader change reported by the broker', async () => {
    const fault = fake.control({ api: 'Produce', times: 1, action: { errorCode: 6 } }) // NOT_LEADER_OR_FOLLOWER
    await service.placeOrder({ customerId: 'c-1', total: 3 })
    expect(fault.hits).toBe(1)
  })

  test('refuses an invalid order without writing anything', async () => {
    await expect(service.placeOrder({ customerId: '', total: 1 })).rejects.toThrow(TypeError)
    expect(fake.requests.filter((r) => r.apiName === 'Produce')).toHaveLength(0)
  })
})
