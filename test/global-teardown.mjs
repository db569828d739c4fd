// Stops the broker global-setup started (never one that KAFKA_BROKERS pointed at).
import { stopInstance } from '../scripts/kafka/harness.mjs'

export default async function globalTeardown() {
  const name = globalThis.__samsaKafkaInstance
  if (!name) return
  delete globalThis.__samsaKafkaInstance
  await stopInstance(name, { graceMs: 5000, log: (line) => process.stderr.write(`[samsa global teardown] ${line}\n`) })
}
