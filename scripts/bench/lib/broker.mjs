// The broker a benchmark runs against: the cluster in KAFKA_BROKERS when set, else a dedicated harness instance
// (reused when it is already running, so repeated runs skip the JVM start).
import { envFor, startInstance, stopInstance } from '../../kafka/harness.mjs'

/**
 * @param {{ name: string, keep?: boolean, log?: (line: string) => void }} options
 *   `keep`: leave an instance this call started running afterwards (the next run reuses it).
 * @returns {Promise<{ brokers: string, kafkaVersion: string | null, origin: string, release(): Promise<void> }>}
 */
export async function useBroker({ name, keep = false, log = (line) => process.stderr.write(`${line}\n`) }) {
  if (process.env.KAFKA_BROKERS) {
    // scripts/bench/index.mjs starts one broker for the whole suite and says which Kafka it runs.
    const kafkaVersion = process.env.SAMSA_BENCH_KAFKA_VERSION || null
    return { brokers: process.env.KAFKA_BROKERS, kafkaVersion, origin: process.env.SAMSA_BENCH_BROKER_ORIGIN || 'KAFKA_BROKERS', release: async () => {} }
  }
  // Without `keep`, the harness watchdog stops the instance if this process dies before release().
  const state = await startInstance({ name, log, ...(keep ? {} : { ownerPid: process.pid }) })
  const startedHere = !state.reused
  return {
    brokers: envFor(state).KAFKA_BROKERS,
    kafkaVersion: state.kafkaVersion,
    origin: `harness instance '${name}'${startedHere ? '' : ' (reused)'}`,
    release: async () => {
      if (startedHere && !keep) await stopInstance(name, { log })
    },
  }
}
