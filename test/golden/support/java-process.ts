/**
 * Runs Java reference programs for golden tests: resolve Maven artifacts through the repo's own resolver
 * (scripts/lib/maven.mjs, cached outside the work tree), compile the test's .java sources with the machine's javac
 * (classes cached under <cacheRoot>/golden-classes-<hash of sources + classpath + javac>), and keep ONE long-lived JVM
 * per suite that answers line-delimited JSON (see test/golden/support/java/JsonLineLoop.java), because JVM start-up
 * per case would dominate the run time.
 *
 * Nothing here knows about Kafka messages; record-batch or other golden suites reuse it with their own sources.
 */
import { type ChildProcessWithoutNullStreams, execFileSync, spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, delimiter, join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'

import { type JsonInput, JsonNumber, type JsonValue, parseJson, stringifyJson } from './lossless-json.js'

const REPO_ROOT = resolve(__dirname, '../../..')
const MAVEN_HELPER = join(REPO_ROOT, 'scripts/lib/maven.mjs')
/** Sources every JSON-line program needs; callers add their own. */
export const JSON_LINE_LOOP_SOURCE = join(__dirname, 'java/JsonLineLoop.java')
/** Artifacts every JSON-line program needs (Jackson); callers add their own. */
export const JSON_LINE_LOOP_ARTIFACTS = ['com.fasterxml.jackson.core:jackson-databind:2.20.1']

const RESULT_MARKER = '@@samsa-maven-result '

export interface MavenClasspath {
  /** `cacheRoot()` of scripts/lib/maven.mjs. */
  cacheRoot: string
  jars: string[]
}

/**
 * Resolves artifacts with scripts/lib/maven.mjs in a child Node process: that module is ESM and Jest runs tests as
 * CommonJS, and the child keeps Maven's console output out of the test process.
 */
export function resolveMavenClasspath(name: string, artifacts: string[], includeTransitive = true): MavenClasspath {
  const script = `
    import { resolveArtifacts, cacheRoot } from ${JSON.stringify(pathToFileURL(MAVEN_HELPER).href)}
    const options = JSON.parse(process.argv[1])
    const dir = resolveArtifacts({ ...options, log: (line) => process.stderr.write(line + '\\n') })
    process.stdout.write('\\n${RESULT_MARKER}' + JSON.stringify({ dir, cacheRoot: cacheRoot() }) + '\\n')
  `
  const output = execFileSync(
    process.execPath,
    ['--input-type=module', '-e', script, JSON.stringify({ name, artifacts, includeTransitive })],
    { cwd: REPO_ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 64 * 1024 * 1024 },
  )
  const line = output.split('\n').find((candidate) => candidate.startsWith(RESULT_MARKER))
  if (!line) throw new Error(`resolving ${artifacts.join(', ')} printed no result:\n${output}`)
  const { dir, cacheRoot } = JSON.parse(line.slice(RESULT_MARKER.length)) as { dir: string; cacheRoot: string }
  const jars = readdirSync(dir)
    .filter((file) => file.endsWith('.jar'))
    .sort()
    .map((file) => join(dir, file))
  return { cacheRoot, jars }
}

let javacVersion: string | undefined

function javacIdentity(): string {
  if (javacVersion === undefined) {
    try {
      javacVersion = execFileSync('javac', ['-version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim()
    } catch (error) {
      throw new Error('golden tests need a JDK: `javac` was not found on PATH', { cause: error })
    }
  }
  return javacVersion
}

/**
 * Compiles `sources` against `classpath` once and returns the classes folder. The cache key covers the source
 * texts, the jars (names and sizes) and the javac version, so any change recompiles and nothing stale is reused.
 */
export function compileJavaSources(sources: string[], classpath: MavenClasspath): string {
  const hash = createHash('sha256')
  hash.update(javacIdentity())
  for (const source of [...sources].sort()) hash.update(`\0${basename(source)}\0`).update(readFileSync(source))
  for (const jar of classpath.jars) hash.update(`\0${basename(jar)}:${statSync(jar).size}`)
  const dir = join(classpath.cacheRoot, `golden-classes-${hash.digest('hex').slice(0, 20)}`)
  const marker = join(dir, '.complete')
  if (existsSync(marker)) return dir

  mkdirSync(classpath.cacheRoot, { recursive: true })
  const staging = mkdtempSync(join(classpath.cacheRoot, '.golden-classes-staging-'))
  try {
    execFileSync('javac', ['-encoding', 'UTF-8', '-nowarn', '-d', staging, '-cp', classpath.jars.join(delimiter), ...sources], {
      stdio: ['ignore', 'pipe', 'pipe'],
      encoding: 'utf8',
    })
    writeFileSync(join(staging, '.complete'), `${new Date().toISOString()}\n`)
    try {
      renameSync(staging, dir)
    } catch (error) {
      // Another Jest worker compiled the same sources first: theirs is as good as ours.
      if (!existsSync(marker)) throw error
    }
  } catch (error) {
    const details = error as { stderr?: string; stdout?: string }
    throw new Error(`javac failed for ${sources.map((s) => basename(s)).join(', ')}:\n${details.stderr ?? ''}${details.stdout ?? ''}`, {
      cause: error,
    })
  } finally {
    rmSync(staging, { recursive: true, force: true })
  }
  return dir
}

export interface JavaProgramSpec {
  /** Cache folder name for the resolved jars (under cacheRoot()). */
  name: string
  artifacts: string[]
  includeTransitive?: boolean
  /** The program's own .java sources; JsonLineLoop.java is always added. */
  sources: string[]
  mainClass: string
}

export interface JavaProgram {
  classpath: string[]
  mainClass: string
}

export function prepareJavaProgram(spec: JavaProgramSpec): JavaProgram {
  // Jest runs test files in parallel workers; on a cold cache two of them would otherwise both download into the
  // same cache folder, and the second one's replace could pull the jars from under the first one's javac.
  return withLock(`samsa-golden-java-${spec.name.replace(/[^A-Za-z0-9_.-]/g, '_')}`, () => {
    const maven = resolveMavenClasspath(spec.name, [...spec.artifacts, ...JSON_LINE_LOOP_ARTIFACTS], spec.includeTransitive ?? true)
    const classes = compileJavaSources([JSON_LINE_LOOP_SOURCE, ...spec.sources], maven)
    return { classpath: [classes, ...maven.jars], mainClass: spec.mainClass }
  })
}

const LOCK_WAIT_MS = 20 * 60 * 1000

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms)
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** Runs `work` while holding a cross-process lock (a directory in the temp folder holding the owner's pid). */
function withLock<T>(name: string, work: () => T): T {
  const lock = join(tmpdir(), `${name}.lock`)
  const deadline = Date.now() + LOCK_WAIT_MS
  for (;;) {
    try {
      mkdirSync(lock)
      writeFileSync(join(lock, 'pid'), String(process.pid))
      break
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
      let owner = NaN
      try {
        owner = Number(readFileSync(join(lock, 'pid'), 'utf8'))
      } catch {
        // The owner has created the folder but not yet written its pid.
      }
      if (Number.isInteger(owner) && owner > 0 && !isAlive(owner)) {
        rmSync(lock, { recursive: true, force: true })
        continue
      }
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${lock} (held by pid ${owner})`)
      sleepSync(200)
    }
  }
  try {
    return work()
  } finally {
    rmSync(lock, { recursive: true, force: true })
  }
}

export type JsonAnswer = { [key: string]: JsonValue }

interface Pending {
  resolve: (answer: JsonAnswer) => void
  reject: (error: Error) => void
}

/** One JVM running a JsonLineLoop program; requests may be pipelined freely, answers come back by id. */
export class JsonLineJvm {
  readonly #child: ChildProcessWithoutNullStreams
  readonly #pending = new Map<string, Pending>()
  #nextId = 1
  #stdoutRest = ''
  #stderrTail = ''
  #exited: Error | null = null

  private constructor(child: ChildProcessWithoutNullStreams) {
    this.#child = child
    child.stdout.setEncoding('utf8')
    child.stderr.setEncoding('utf8')
    child.stdout.on('data', (chunk: string) => this.#onStdout(chunk))
    child.stderr.on('data', (chunk: string) => {
      this.#stderrTail = (this.#stderrTail + chunk).slice(-4000)
    })
    child.on('error', (error) => this.#failAll(error))
    child.on('exit', (code, signal) => {
      this.#failAll(new Error(`Java reference process exited (code ${code}, signal ${signal}); stderr:\n${this.#stderrTail}`))
    })
    // A closed pipe surfaces through 'exit'; without a listener EPIPE would crash the test process.
    child.stdin.on('error', () => {})
  }

  static start(program: JavaProgram, jvmArgs: string[] = ['-Xmx512m', '-XX:+UseSerialGC', '-Xss8m']): JsonLineJvm {
    const child = spawn('java', [...jvmArgs, '-cp', program.classpath.join(delimiter), program.mainClass], {
      stdio: ['pipe', 'pipe', 'pipe'],
    })
    return new JsonLineJvm(child)
  }

  #onStdout(chunk: string): void {
    const text = this.#stdoutRest + chunk
    const lines = text.split('\n')
    this.#stdoutRest = lines.pop() ?? ''
    for (const line of lines) {
      if (line.trim() === '') continue
      let answer: JsonValue
      try {
        answer = parseJson(line)
      } catch (error) {
        this.#failAll(new Error(`unparseable line from Java: ${line.slice(0, 300)}`, { cause: error }))
        return
      }
      const record = answer as JsonAnswer
      const id = record.id instanceof JsonNumber ? record.id.raw : String(record.id)
      const pending = this.#pending.get(id)
      if (!pending) continue
      this.#pending.delete(id)
      pending.resolve(record)
    }
  }

  #failAll(error: Error): void {
    this.#exited ??= error
    for (const pending of this.#pending.values()) pending.reject(error)
    this.#pending.clear()
  }

  /** Sends one request; the answer carries `ok` and either the program's fields or `error`. */
  request(message: { [key: string]: JsonInput }): Promise<JsonAnswer> {
    return this.requestAll([message]).then((answers) => answers[0]!)
  }

  /** Sends many requests in one stream write (respecting back-pressure) and resolves with answers in order. */
  async requestAll(messages: Array<{ [key: string]: JsonInput }>): Promise<JsonAnswer[]> {
    if (this.#exited) throw this.#exited
    const answers = messages.map((message) => {
      const id = String(this.#nextId++)
      const promise = new Promise<JsonAnswer>((resolvePromise, reject) => this.#pending.set(id, { resolve: resolvePromise, reject }))
      return { id, promise, line: stringifyJson({ ...message, id: new JsonNumber(id) }) }
    })
    const CHUNK = 256
    for (let start = 0; start < answers.length; start += CHUNK) {
      const text = answers
        .slice(start, start + CHUNK)
        .map((answer) => `${answer.line}\n`)
        .join('')
      if (!this.#child.stdin.write(text)) {
        // 'exit' also releases the wait: a JVM that died never drains.
        await new Promise<void>((resolveDrain) => {
          const done = (): void => {
            this.#child.stdin.off('drain', done)
            this.#child.off('exit', done)
            resolveDrain()
          }
          this.#child.stdin.once('drain', done)
          this.#child.once('exit', done)
        })
      }
      if (this.#exited) break
    }
    return Promise.all(answers.map((answer) => answer.promise))
  }

  /** Ends the JVM's input and waits for it to exit. */
  async close(): Promise<void> {
    if (this.#child.exitCode !== null || this.#child.signalCode !== null) return
    await new Promise<void>((resolveExit) => {
      this.#child.once('exit', () => resolveExit())
      this.#child.stdin.end()
      setTimeout(() => this.#child.kill('SIGKILL'), 10_000).unref()
    })
  }
}
