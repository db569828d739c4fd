// Signals go only to processes we can prove are ours: a pid from a state file is trusted only while the
// process's command line still contains the marker we launched it with (pids get reused).
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'

/** The process's command line (arguments joined by spaces), or null when there is no such live process. */
export function commandLine(pid) {
  if (!Number.isInteger(pid) || pid <= 0) return null
  try {
    const raw = readFileSync(`/proc/${pid}/cmdline`, 'utf8')
    // A zombie (exited, not yet reaped) has an empty command line: it is not running.
    return raw.length > 0 ? raw.split('\0').join(' ') : null
  } catch (error) {
    if (error.code !== 'ENOENT' || process.platform === 'linux') return null
  }
  try {
    const out = execFileSync('ps', ['-o', 'args=', '-p', String(pid)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
    return out.trim() || null
  } catch {
    return null
  }
}

/** A value that changes when `pid` is reused by a different process (its start time), or null. */
export function processStartMarker(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // Field 22 (starttime) follows the parenthesised command name, which may itself contain spaces.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null
  } catch {
    try {
      return execFileSync('ps', ['-o', 'lstart=', '-p', String(pid)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim() || null
    } catch {
      return null
    }
  }
}

export function isOurProcess(pid, marker) {
  const cmd = commandLine(pid)
  return cmd !== null && cmd.includes(marker)
}

function signal(pid, name) {
  try {
    process.kill(pid, name)
    return true
  } catch {
    return false
  }
}

async function waitGone(pids, marker, timeoutMs) {
  const deadline = Date.now() + timeoutMs
  let alive = pids.filter((pid) => isOurProcess(pid, marker))
  while (alive.length > 0 && Date.now() < deadline) {
    await sleep(100)
    alive = alive.filter((pid) => isOurProcess(pid, marker))
  }
  return alive
}

/**
 * SIGTERM to every pid that is still ours, then SIGKILL to whatever has not exited after `graceMs`.
 * Returns the pids that were signalled.
 */
export async function terminate(pids, marker, { graceMs = 10_000 } = {}) {
  const ours = pids.filter((pid) => isOurProcess(pid, marker))
  for (const pid of ours) signal(pid, 'SIGTERM')
  const stubborn = await waitGone(ours, marker, graceMs)
  for (const pid of stubborn) signal(pid, 'SIGKILL')
  const left = await waitGone(stubborn, marker, 10_000)
  if (left.length > 0) throw new Error(`processes ${left.join(', ')} survived SIGKILL`)
  return ours
}

/** SIGKILL, no grace: what a crash looks like to the rest of the cluster. */
export async function killHard(pid, marker) {
  if (!isOurProcess(pid, marker)) return false
  signal(pid, 'SIGKILL')
  const left = await waitGone([pid], marker, 10_000)
  if (left.length > 0) throw new Error(`process ${pid} survived SIGKILL`)
  return true
}
