'use strict'
// Once per run: KafkaJS's JAAS users (see cluster.cjs) as SCRAM users on the harness broker.
const { withNativeAdmin, throwItemErrors } = require('./native.cjs')
const { KAFKAJS_JAAS_USERS } = require('./cluster.cjs')

module.exports = async function createKafkaJSUsers() {
  await withNativeAdmin(async (admin) => {
    for (const mechanism of ['SCRAM-SHA-512', 'SCRAM-SHA-256']) {
      const upserts = Object.entries(KAFKAJS_JAAS_USERS).map(([user, password]) => ({ type: 'upsert', user, mechanism, password, iterations: 4096 }))
      throwItemErrors(await admin.alterUserScramCredentials(upserts))
    }
  })
}
