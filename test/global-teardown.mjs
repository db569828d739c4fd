// Stops the broker global-setup started (never one that KAFKA_BROKERS pointed at).
import { stopInstance } from '../scripts/kafka/harness.mjs'

export default async function globalTeardown() {
  const started = globalThis.__samsaKafkaInstance
  if (!started) return
  delete globalThis.__samsaKafkaInstance
  for (const key of started.envKeys) delete process.env[key]
  await stopInstance(started.name, { graceMs: 5000, log: (line) => process.stderr.write(`[samsa global teardown] ${line}\n`) })
}
