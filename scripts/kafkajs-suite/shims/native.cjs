'use strict'
// Test setup and the few cluster helpers specs use for checking results go through samsa's native admin on the
// PLAINTEXT listener, so that what a spec verifies does not depend on the facade it is judging.
const { native } = require('./facade.cjs')

const plainTextBrokers = () => (process.env.KAFKA_BROKERS || '').split(',').filter(Boolean)

async function withNativeAdmin(fn) {
  const kafka = new native.Kafka({ brokers: plainTextBrokers(), clientId: 'kafkajs-suite-setup', logger: false })
  const admin = kafka.admin()
  try {
    return await fn(admin)
  } finally {
    await admin.close()
  }
}

function throwItemErrors(results, tolerated = []) {
  for (const result of results) {
    if (result.error && !tolerated.includes(result.error.errorName)) throw result.error
  }
  return results
}

module.exports = { plainTextBrokers, withNativeAdmin, throwItemErrors }
