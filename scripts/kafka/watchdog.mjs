// Stops a harness instance when the process that owns it (a jest run, a test worker) dies without stopping it.
// Started detached by startInstance({ ownerPid }); exits on its own once the instance is gone.
import { setTimeout as sleep } from 'node:timers/promises'
import { readState, stopInstance } from './harness.mjs'
import { processStartMarker } from './processes.mjs'

const [name, ownerPidText, ownerStart] = process.argv.slice(2)
const ownerPid = Number(ownerPidText)

function ownerAlive() {
  try {
    process.kill(ownerPid, 0)
  } catch (error) {
    if (error.code === 'ESRCH') return false
  }
  // Same pid, different start time: the owner died and the pid was handed to someone else.
  return !ownerStart || processStartMarker(ownerPid) === ownerStart
}

for (;;) {
  await sleep(1000)
  const state = readState(name)
  if (!state || state.watchdogPid !== process.pid) process.exit(0)
  if (!ownerAlive()) {
    await stopInstance(name, { graceMs: 5000, log: () => {} })
    process.exit(0)
  }
}
