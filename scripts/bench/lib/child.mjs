// Each measured client runs in its own Node process, so one client's heap, JIT state and leftover timers cannot
// slow down the next. The child prints its result as the last line of stdout, as JSON.
import { spawn } from 'node:child_process'

/** JSON with bigint support (bigints become strings). */
export function toJson(value, space) {
  return JSON.stringify(value, (_, v) => (typeof v === 'bigint' ? v.toString() : v), space)
}

/**
 * Runs `node [nodeArgs] script --child <payload JSON>` and resolves with the parsed last stdout line.
 * stderr is passed through (progress and warnings).
 * @param {string} script absolute path
 * @param {unknown} payload
 * @param {{ nodeArgs?: string[], timeoutMs?: number }} [options]
 */
export function runChild(script, payload, { nodeArgs = [], timeoutMs = 600_000 } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...nodeArgs, script, '--child', JSON.stringify(payload)], { stdio: ['ignore', 'pipe', 'inherit'] })
    let stdout = ''
    child.stdout.setEncoding('utf8')
    child.stdout.on('data', (chunk) => (stdout += chunk))
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    child.on('error', reject)
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      const last = stdout.trim().split('\n').pop()
      if (code !== 0) return reject(new Error(`child exited with ${code ?? signal}${last ? `: ${last}` : ''}`))
      try {
        resolve(JSON.parse(last))
      } catch {
        reject(new Error(`child printed no JSON result: ${stdout.slice(-500)}`))
      }
    })
  })
}

/** In a child: reads the payload given by runChild, or null when this process is the parent. */
export function childPayload(argv = process.argv) {
  const i = argv.indexOf('--child')
  return i === -1 ? null : JSON.parse(argv[i + 1])
}

/** In a child: prints the result line and exits (clients may leave sockets or timers behind). */
export function finishChild(result) {
  process.stdout.write(`${toJson(result)}\n`, () => process.exit(0))
}
