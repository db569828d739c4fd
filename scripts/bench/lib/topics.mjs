// Fresh topics for benchmark runs, created with samsa's admin client from a dist snapshot (lib/samsa.mjs).
import { importSnapshot } from './samsa.mjs'

/** A topic name unique to this process and moment, safe to create on a shared broker. */
export function uniqueTopicName(...parts) {
  const clean = parts.map((p) => String(p).replace(/[^A-Za-z0-9._-]/g, '-')).join('-')
  return `${clean}-${process.pid}-${Date.now().toString(36)}`
}

/**
 * Creates the topics and waits until every partition has a leader in the metadata, so the first produce does
 * not pay for leader election.
 * @param {string} snapshotDir
 * @param {string} brokers comma-separated bootstrap list
 * @param {Array<{ name: string, partitions: number, replicationFactor?: number, configs?: Record<string, string> }>} topics
 */
const STEP = 5000

export async function createTopics(snapshotDir, brokers, topics) {
  const { Kafka } = await importSnapshot(snapshotDir)
  const kafka = new Kafka({ brokers, clientId: 'bench-setup', logger: false })
  const admin = kafka.admin()
  try {
    // A KRaft controller refuses an operation of more than 10 000 metadata records (POLICY_VIOLATION, "excessively
    // large batch operation"): one record per partition, so big topics are created in steps of STEP partitions.
    const results = await admin.createTopics(
      topics.map((t) => ({ name: t.name, numPartitions: Math.min(t.partitions, STEP), replicationFactor: t.replicationFactor ?? 1, configs: t.configs ?? {} })),
    )
    const failed = results.filter((r) => r.error)
    if (failed.length) throw new Error(`could not create ${failed.map((r) => `${r.name}: ${r.error.message}`).join('; ')}`)
    for (let count = STEP * 2; count < Math.max(...topics.map((t) => t.partitions)) + STEP; count += STEP) {
      const growing = topics.filter((t) => t.partitions > count - STEP)
      if (growing.length === 0) break
      const grown = await admin.createPartitions(growing.map((t) => ({ name: t.name, count: Math.min(t.partitions, count) })))
      const refused = grown.filter((r) => r.error)
      if (refused.length) throw new Error(`could not add partitions to ${refused.map((r) => `${r.name}: ${r.error.message}`).join('; ')}`)
    }
    // A broker elects leaders for thousands of new partitions in minutes, not seconds (10 000: ~1-2 min here).
    const waitMs = 30_000 + 20 * topics.reduce((n, t) => n + t.partitions, 0)
    const deadline = Date.now() + waitMs
    for (;;) {
      await kafka.cluster.refreshMetadata(topics.map((t) => t.name))
      const ready = topics.every((t) => {
        const info = kafka.cluster.topic(t.name)
        return info && info.partitions.length === t.partitions && info.partitions.every((p) => p.leader >= 0)
      })
      if (ready) return
      if (Date.now() > deadline) throw new Error(`partitions of ${topics.map((t) => t.name).join(', ')} have no leader after ${waitMs / 1000} s`)
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
  } finally {
    await admin.close()
    await kafka.close()
  }
}

/** Deletes topics, ignoring failures (clean-up only). */
export async function deleteTopics(snapshotDir, brokers, names) {
  if (names.length === 0) return
  const { Kafka } = await importSnapshot(snapshotDir)
  const kafka = new Kafka({ brokers, clientId: 'bench-setup', logger: false })
  const admin = kafka.admin()
  try {
    await admin.deleteTopics(names)
  } catch {
    // a leftover topic on a benchmark broker is harmless
  } finally {
    await admin.close()
    await kafka.close()
  }
}
