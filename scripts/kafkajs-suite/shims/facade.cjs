'use strict'
// The build under test. run.mjs points these at the repository's dist/ so the specs exercise exactly what ships.
function load(variable) {
  const path = process.env[variable]
  if (!path) throw new Error(`${variable} is not set: run the suite through scripts/kafkajs-suite/run.mjs`)
  return require(path)
}

module.exports = {
  facade: load('SAMSA_KAFKAJS_FACADE'),
  native: load('SAMSA_NATIVE'),
  /** KafkaJS's own extracted tree, for its dependency-free utilities (sleep, waitFor). */
  kafkajsRoot: process.env.KAFKAJS_ROOT,
}
