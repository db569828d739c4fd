/**
 * Kafka's own command-line tools (kafka-tools and kafka-clients from the harness's jar folder, at the pinned
 * version) as child processes of a test: VerifiableProducer/Consumer, ConsoleConsumer, TransactionalMessageCopier …
 * run against whatever the test serves (a FakeKafka, a proxy), with their stdout lines collected as they arrive.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { join } from 'node:path'
import { createInterface } from 'node:readline'

const REPO_ROOT = join(__dirname, '..', '..')
/** Small, quick-starting JVMs: the tools run for seconds and several may run at once. */
const JVM_ARGS = ['-Xmx256m', '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1']

export const haveJava = spawnSync('java', ['-version'], { stdio: 'ignore' }).status === 0

/** The jar folder's classpath (the harness fills the cache; this resolves it synchronously, for beforeAll). */
export function kafkaToolsClasspath(): string {
  const program = `import { resolveKafkaJars } from './scripts/kafka/jars.mjs'; import { KAFKA_VERSION } from './scripts/lib/versions.mjs'; process.stdout.write(resolveKafkaJars(KAFKA_VERSION).classpath)`
  return execFileSync(process.execPath, ['--input-type=module', '-e', program], { cwd: REPO_ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] })
}

export interface JavaToolRun {
  child: ChildProcess
  /** stdout lines so far; the array fills while the tool runs. */
  lines: string[]
  /** The exit, with the tail of stderr for failure messages. Killed after the timeout. */
  done: Promise<{ code: number | null; stderr: string }>
}

export function startJavaTool(classpath: string, mainClass: string, args: string[], onLine: (line: string) => void = () => undefined, timeoutMs = 90_000): JavaToolRun {
  const child = spawn('java', [...JVM_ARGS, '-cp', classpath, mainClass, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
  const lines: string[] = []
  let stderr = ''
  createInterface({ input: child.stdout! }).on('line', (line) => {
    lines.push(line)
    onLine(line)
  })
  child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)))
  const killer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
  const done = new Promise<{ code: number | null; stderr: string }>((resolve) => {
    child.on('close', (code) => {
      clearTimeout(killer)
      resolve({ code, stderr })
    })
  })
  return { child, lines, done }
}

/** Runs a tool to its end: all its stdout lines, its exit code, the tail of its stderr. */
export async function runJavaTool(classpath: string, mainClass: string, args: string[], timeoutMs = 60_000): Promise<{ lines: string[]; stderr: string; code: number | null }> {
  const run = startJavaTool(classpath, mainClass, args, undefined, timeoutMs)
  const { code, stderr } = await run.done
  return { lines: run.lines, stderr, code }
}
