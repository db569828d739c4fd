// The broker a benchmark runs against: the cluster in KAFKA_BROKERS when set, else a dedicated harness instance
// (reused when it is already running, so repeated runs skip the JVM start).
import { readFileSync } from 'node:fs'
import { envFor, startInstance, stopInstance } from '../../kafka/harness.mjs'

/**
 * CPU time (ms) the given processes have used so far, from /proc (Linux; null elsewhere or once one is gone). The
 * benchmarks read it around a client's timed run for the broker's JVMs: on a machine the broker shares, a client's
 * throughput is bounded by what the two together spend per record, so that sum explains a throughput ceiling.
 */
export function processCpuMs(pids) {
  if (!pids || pids.length === 0) return null
  let ticks = 0
  try {
    for (const pid of pids) {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
      // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th of them.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      ticks += Number(fields[11]) + Number(fields[12])
    }
  } catch {
    return null
  }
  return (ticks * 1000) / CLOCK_TICKS_PER_SECOND
}

/** USER_HZ: 100 on every Linux a Node release supports. */
const CLOCK_TICKS_PER_SECOND = 100

/**
 * @param {{ name: string, keep?: boolean, log?: (line: string) => void }} options
 *   `keep`: leave an instance this call started running afterwards (the next run reuses it).
 * @returns {Promise<{ brokers: string, kafkaVersion: string | null, origin: string, pids: number[], release(): Promise<void> }>}
 *   `pids`: the broker JVMs of a harness instance (empty for KAFKA_BROKERS), for processCpuMs.
 */
export async function useBroker({ name, keep = false, log = (line) => process.stderr.write(`${line}\n`) }) {
  if (process.env.KAFKA_BROKERS) {
    // scripts/bench/index.mjs starts one broker for the whole suite and says which Kafka it runs.
    const kafkaVersion = process.env.SAMSA_BENCH_KAFKA_VERSION || null
    return { brokers: process.env.KAFKA_BROKERS, kafkaVersion, origin: process.env.SAMSA_BENCH_BROKER_ORIGIN || 'KAFKA_BROKERS', pids: (process.env.SAMSA_BENCH_BROKER_PIDS || '').split(',').filter(Boolean).map(Number), release: async () => {} }
  }
  // Without `keep`, the harness watchdog stops the instance if this process dies before release().
  const state = await startInstance({ name, log, ...(keep ? {} : { ownerPid: process.pid }) })
  const startedHere = !state.reused
  return {
    brokers: envFor(state).KAFKA_BROKERS,
    kafkaVersion: state.kafkaVersion,
    pids: (state.nodes ?? []).map((node) => node.pid).filter((pid) => Number.isInteger(pid)),
    origin: `harness instance '${name}'${startedHere ? '' : ' (reused)'}`,
    release: async () => {
      if (startedHere && !keep) await stopInstance(name, { log })
    },
  }
}
