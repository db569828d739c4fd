// A small application to test: it validates orders and publishes them to Kafka, keyed by customer so each
// customer's orders stay in order. Nothing in it knows about FakeKafka; the tests point it at one.
'use strict'
const { Kafka } = require('samsa')

class OrderService {
  /** `deliveryTimeoutMs` bounds how long placeOrder may take, retries included (Kafka's default is 2 minutes). */
  constructor({ brokers, deliveryTimeoutMs = 120_000 }) {
    this.kafka = new Kafka({ brokers, clientId: 'order-service', logger: false })
    this.producer = this.kafka.producer({ valueSerializer: 'json', lingerMs: 0, deliveryTimeoutMs, requestTimeoutMs: Math.min(30_000, deliveryTimeoutMs) })
  }

  async placeOrder(order) {
    if (typeof order.customerId !== 'string' || order.customerId === '') throw new TypeError('an order needs a customerId')
    if (!(order.total > 0)) throw new RangeError('an order needs a positive total')
    const [meta] = await this.producer.send({ topic: 'orders', messages: [{ key: order.customerId, value: order, headers: { source: 'order-service' } }] })
    return meta
  }

  async close() {
    await this.producer.close()
    await this.kafka.close()
  }
}

module.exports = { OrderService }
