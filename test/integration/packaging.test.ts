/**
 * The package as users get it. `npm pack` this repository, install the tarball into fresh projects the ways users
 * do — npm with install scripts, npm --ignore-scripts, pnpm with its defaults (dependency scripts off) — and in
 * each: type-check a strict TypeScript program against the installed declarations, then, on Node 20 (this one),
 * 22 and 24, load samsa with `import` and `require` and produce and consume records in every codec against the
 * test broker. zstd must work where the Node has it in node:zlib and fail with CompressionCodecUnavailableError
 * elsewhere (zstd-napi is only an optional peer dependency). Node 22/24 and pnpm come from the npm registry and are
 * cached in ~/.cache/samsa/tools (scripts/lib/npm-tools.mjs); installs reuse npm's and pnpm's caches.
 *
 * Each project is installed once (by the npm of this machine, with Node 20) and then run by every Node: the
 * packages samsa depends on ship Node-API binaries, which do not depend on the Node version.
 */
import { execFile, execFileSync } from 'node:child_process'
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Kafka } from '../../src/kafka.js'
import { testBrokers } from '../helpers/kafka.js'

const root = join(__dirname, '..', '..')
const fixtures = join(root, 'test', 'fixtures', 'packaging')
const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc')
const attw = join(root, 'node_modules', '@arethetypeswrong', 'cli', 'dist', 'index.js')
const bootstrap = testBrokers()
  .plaintext.map((b) => `${b.host}:${b.port}`)
  .join(',')
const RUN = `packaging-${process.pid}-${Date.now()}`
const ZSTD_TOPIC = `${RUN}-zstd-written`
const ZSTD_COUNT = 20
const NODE_MAJORS = [20, 22, 24] as const
const PNPM = '10'

interface Tools {
  node: Record<number, string>
  pnpm: string
}

interface PackReport {
  filename: string
  unpackedSize: number
  entryCount: number
  files: Array<{ path: string }>
}

interface CodecResult {
  available: boolean
  sent?: number
  received?: number
  intact?: boolean
  sendError?: { name: string; typed: boolean; isKafkaError: boolean; codec: string; message: string }
  readError?: { name: string; typed: boolean; codec: string; message: string }
}

interface EsmReport {
  node: string
  nodeHasZstd: boolean
  esm: string
  cjs: string
  oneCopy: boolean
  fetchMaxVersion: number
  offline: Record<string, string>
  broker: Record<string, CodecResult>
  zstdWrittenElsewhere: { received: number; readError?: CodecResult['readError'] }
}

interface CjsReport {
  node: string
  resolved: string
  kafka: boolean
  otherPackagesAtImport: string[]
  recordsErrorIsKafkaError: boolean
  fetchRequestCodec: boolean
  offline: Record<string, string>
}

let work = ''
let tools: Tools
let tarball = ''
let pack: PackReport

function run(command: string, args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv }): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { cwd: options.cwd, env: options.env ?? process.env, maxBuffer: 16 * 1024 * 1024, timeout: 300_000 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${command} ${args.join(' ')} (in ${options.cwd}) failed: ${error.message}\n${stderr}\n${stdout}`))
      else resolve(stdout)
    })
  })
}

const lastLine = (out: string): string => out.trim().split('\n').pop()!

beforeAll(async () => {
  // Node 22, Node 24 and pnpm, installed from the registry on the first run only.
  const paths = execFileSync(process.execPath, [join(root, 'scripts', 'lib', 'npm-tools.mjs'), 'node@22', 'node@24', `pnpm@${PNPM}`], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  })
    .trim()
    .split('\n')
  tools = { node: { 20: process.execPath, 22: paths[0]!, 24: paths[1]! }, pnpm: paths[2]! }

  work = mkdtempSync(join(tmpdir(), 'samsa-packaging-'))
  // prepack builds dist/ when it is stale (`npm test` has just built it).
  const out = await run('npm', ['pack', '--json', '--pack-destination', work], { cwd: root })
  pack = (JSON.parse(out.slice(out.indexOf('[\n'))) as PackReport[])[0]!
  tarball = join(work, pack.filename)

  // zstd records written by this repository's client (zstd-napi is a devDependency here), for every project to read.
  const kafka = new Kafka({ brokers: bootstrap, clientId: 'samsa-packaging', logger: false })
  try {
    const admin = kafka.admin()
    const [created] = await admin.createTopics([{ name: ZSTD_TOPIC, numPartitions: 1, replicationFactor: 1 }])
    await admin.close()
    if (created!.error) throw created!.error
    const producer = kafka.producer({ compression: 'zstd', lingerMs: 1 })
    await producer.send({ topic: ZSTD_TOPIC, messages: Array.from({ length: ZSTD_COUNT }, (_, i) => ({ key: `z${i}`, value: `zstd ${i}` })) })
    await producer.close()
  } finally {
    await kafka.close()
  }
}, 600_000)

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true })
})

describe('the packed tarball', () => {
  it('holds the build, declarations, docs and license, and nothing else', () => {
    const files = pack.files.map((f) => f.path).sort()
    expect(files).toEqual(expect.arrayContaining(['LICENSE', 'README.md', 'package.json', 'dist/esm/index.js', 'dist/esm/index.d.ts', 'dist/cjs/index.js', 'dist/cjs/index.d.ts']))
    const unexpected = files.filter((f) => !/^(LICENSE|README\.md|package\.json|docs\/[^/]+\.md|dist\/(cjs|esm)\/.+\.(js|d\.ts|json))$/.test(f))
    expect(unexpected).toEqual([])
    expect(files.filter((f) => f.endsWith('.map'))).toEqual([])
    expect(files).toContain('docs/producer.md')
    expect(files).not.toContain('docs/benchmarks.md')
    expect(readFileSync(join(root, 'LICENSE'), 'utf8')).toContain('Apache License\n                           Version 2.0, January 2004')
  })

  // 4.77 MB before samsa/kafkajs; the facade (code, its declarations, the migration guide) adds about 0.4 MB,
  // samsa/testing (FakeKafka) about 0.15 MB, the metrics registry and samsa/prometheus (with observability.md)
  // about 0.07 MB (5.49 MB before them), the generated tables of docs/benchmarks.md about 0.04 MB (its SVG charts
  // stay out of the package), samsa/opentelemetry and the tracing channels with their docs 0.04 MB (5.65 → 5.69 MB
  // on its own; 5.72 MB merged with logging and the share consumer's metrics, hence the limit of 5.8 MB), the
  // `samsa` command line (dist/cjs/cli without declarations, docs/cli.md) about 0.09 MB (5.66 → 5.75 MB on its own;
  // 5.84 MB merged with samsa/opentelemetry), and the command line's second round (OAUTHBEARER, binary-safe JSON,
  // patterns, topic configs) 0.03 MB more: 5.92 MB, hence the limit of 6.0 MB. The generated protocol code is
  // 3.7 MB of it. At 5.98 MB docs/benchmarks.md (0.17 MB of measurements, of no use to an installed SDK) left the
  // package.
  it('unpacks to under 6.0 MB', () => {
    expect(pack.unpackedSize).toBeLessThan(6_000_000)
  })

  it('has types that resolve under node10, node16 (from CJS and ESM) and bundler (arethetypeswrong)', async () => {
    const out = await run(process.execPath, [attw, tarball, '--format', 'json'], { cwd: work })
    const report = JSON.parse(out) as { analysis: { problems: unknown[]; entrypoints: Record<string, unknown> } }
    expect(Object.keys(report.analysis.entrypoints).sort()).toEqual(['.', './kafkajs', './opentelemetry', './package.json', './prometheus', './protocol', './records', './testing'])
    expect(report.analysis.problems).toEqual([])
  }, 120_000)
})

interface Variant {
  name: string
  install: (dir: string) => Promise<unknown>
  /** Also type-check under node16 and bundler resolution, check the declarations themselves, run the README. */
  thorough: boolean
}

/** The README's application example: its first ```js block. */
function readmeExample(): string {
  const readme = readFileSync(join(root, 'README.md'), 'utf8')
  const match = /```js\n([\s\S]*?)```/.exec(readme)
  if (!match) throw new Error('README.md has no ```js block')
  return match[1]!
}

const npmEnv = { ...process.env, npm_config_ignore_scripts: 'false', npm_config_audit: 'false', npm_config_fund: 'false' }
const VARIANTS: Variant[] = [
  {
    name: 'npm install (install scripts on)',
    install: (dir) => run('npm', ['install', '--prefer-offline', tarball, '@types/node@20'], { cwd: dir, env: npmEnv }),
    thorough: true,
  },
  {
    name: 'npm install --ignore-scripts',
    install: (dir) => run('npm', ['install', '--prefer-offline', '--ignore-scripts', tarball, '@types/node@20'], { cwd: dir, env: npmEnv }),
    thorough: false,
  },
  {
    name: `pnpm ${PNPM} add (its defaults: dependency scripts off)`,
    install: (dir) => {
      // pnpm's own defaults, whatever npm configuration this process inherited.
      const env = { ...process.env }
      for (const key of Object.keys(env)) if (/^npm_config_/i.test(key)) delete env[key]
      return run(process.execPath, [tools.pnpm, 'add', tarball, '@types/node@20'], { cwd: dir, env })
    },
    thorough: false,
  },
]

describe.each(VARIANTS)('$name', ({ name, install, thorough }) => {
  let dir = ''
  const esm: Record<number, EsmReport> = {}
  const cjs: Record<number, CjsReport> = {}

  beforeAll(async () => {
    dir = join(work, name.replace(/[^a-z0-9]+/gi, '-'))
    mkdirSync(dir)
    writeFileSync(join(dir, 'package.json'), `${JSON.stringify({ name: 'samsa-packaging-probe', private: true, type: 'module' }, null, 2)}\n`)
    for (const file of readdirSync(fixtures)) copyFileSync(join(fixtures, file), join(dir, file))
    await install(dir)
    // Every Node at once: the probes mostly wait for the broker.
    await Promise.all(
      NODE_MAJORS.map(async (major) => {
        const node = tools.node[major]!
        const env = { ...process.env, KAFKA_BROKERS: bootstrap, PROBE_PREFIX: `${RUN}-${dir.slice(-12)}-${major}`, PROBE_ZSTD_TOPIC: ZSTD_TOPIC, PROBE_ZSTD_COUNT: String(ZSTD_COUNT) }
        cjs[major] = JSON.parse(lastLine(await run(node, ['probe.cjs'], { cwd: dir, env }))) as CjsReport
        esm[major] = JSON.parse(lastLine(await run(node, ['probe.mjs'], { cwd: dir, env }))) as EsmReport
      }),
    )
  }, 600_000)

  it('installs samsa without zstd-napi or anything it pulls in', () => {
    expect(existsSync(join(dir, 'node_modules', 'samsa', 'package.json'))).toBe(true)
    for (const absent of ['zstd-napi', 'prebuild-install', 'node-addon-api', 'crc-32']) expect({ absent, installed: existsSync(join(dir, 'node_modules', absent)) }).toEqual({ absent, installed: false })
    // The project's own @types/node is the one it asked for: nothing samsa brings puts another version on top.
    const typesNode = JSON.parse(readFileSync(join(dir, 'node_modules', '@types', 'node', 'package.json'), 'utf8')) as { version: string }
    expect(typesNode.version).toMatch(/^20\./)
    const samsaManifest = JSON.parse(readFileSync(join(dir, 'node_modules', 'samsa', 'package.json'), 'utf8')) as { dependencies: Record<string, string> }
    expect(Object.keys(samsaManifest.dependencies).sort()).toEqual(['@node-rs/crc32', 'lz4-napi', 'snappy'])
  })

  it('type-checks a strict TypeScript program using samsa (module nodenext, .mts and .cts)', async () => {
    const options = ['--strict', '--noEmit', '--target', 'es2022', '--types', 'node']
    // Once with the declarations themselves checked too (skipLibCheck off), elsewhere as most projects run tsc.
    const skipLibCheck = ['--skipLibCheck', String(!thorough)]
    await run(process.execPath, [tsc, ...options, ...skipLibCheck, '--module', 'nodenext', '--moduleResolution', 'nodenext', 'app.mts', 'app.cts'], { cwd: dir })
    if (thorough) {
      await run(process.execPath, [tsc, ...options, '--skipLibCheck', '--module', 'node16', '--moduleResolution', 'node16', 'app.mts', 'app.cts'], { cwd: dir })
      await run(process.execPath, [tsc, ...options, '--skipLibCheck', '--module', 'esnext', '--moduleResolution', 'bundler', 'app.mts'], { cwd: dir })
    }
  }, 120_000)

  it('links a working `samsa` command into node_modules/.bin (the package "bin")', async () => {
    const samsa = join(dir, 'node_modules', '.bin', 'samsa')
    expect(await run(samsa, ['--help'], { cwd: dir })).toContain('Usage: samsa <command>')
    const env = { ...process.env, KAFKA_BROKERS: bootstrap }
    const topic = `${RUN}-${dir.slice(-12)}-cli`
    await run(samsa, ['topics', 'create', topic, '--partitions', '1'], { cwd: dir, env })
    // execFile has no stdin input: the records come from a file.
    writeFileSync(join(dir, 'records.txt'), 'k1:v1\nk2:v2\n')
    await run(samsa, ['produce', topic, '-K', ':', '-l', 'records.txt'], { cwd: dir, env })
    expect(await run(samsa, ['consume', topic, '-o', 'beginning', '-e', '-f', '%k=%s\\n'], { cwd: dir, env })).toBe('k1=v1\nk2=v2\n')
  }, 60_000)

  if (thorough) {
    it("runs the README's application example as written (topic and group renamed for this run)", async () => {
      const example = readmeExample()
      expect(example).toContain("from 'samsa'")
      const unique = example.replaceAll("'greetings'", `'${RUN}-greetings'`).replaceAll("'greeters'", `'${RUN}-greeters'`)
      expect(unique).not.toBe(example)
      writeFileSync(join(dir, 'hello.mjs'), unique)
      const out = await run(process.execPath, ['hello.mjs'], { cwd: dir, env: { ...process.env, KAFKA_BROKERS: bootstrap } })
      expect(out).toBe('hello world\n')
    }, 60_000)
  }

  describe.each(NODE_MAJORS)('Node %i', (major) => {
    it('require() and import load one copy of samsa, and importing it loads no other package', () => {
      const c = cjs[major]!
      const e = esm[major]!
      expect(c.node).toMatch(new RegExp(`^v${major}\\.`))
      expect(c.resolved).toMatch(/[/\\]samsa[/\\]dist[/\\]cjs[/\\]index\.js$/)
      expect(e.esm).toMatch(/[/\\]samsa[/\\]dist[/\\]esm[/\\]index\.js$/)
      expect(c).toMatchObject({ kafka: true, otherPackagesAtImport: [], recordsErrorIsKafkaError: true, fetchRequestCodec: true })
      expect(e.oneCopy).toBe(true)
      expect(e.fetchMaxVersion).toBeGreaterThanOrEqual(12)
    })

    it('encodes and decodes every available codec offline; zstd exactly where node:zlib has it', () => {
      const e = esm[major]!
      // Node 22.15+ and 24 have zstd in node:zlib; Node 20 does not (and zstd-napi is not installed).
      expect(e.nodeHasZstd).toBe(major >= 22)
      const expected = { none: 'ok', gzip: 'ok', snappy: 'ok', lz4: 'ok', zstd: e.nodeHasZstd ? 'ok' : 'unavailable' }
      expect(e.offline).toEqual(expected)
      expect(cjs[major]!.offline).toEqual(expected)
    })

    it('produces and consumes uncompressed, gzip, snappy and lz4 records (and zstd where available)', () => {
      const e = esm[major]!
      for (const codec of ['none', 'gzip', 'snappy', 'lz4']) {
        expect({ codec, ...e.broker[codec] }).toEqual({ codec, available: true, sent: 50, received: 50, intact: true })
      }
      if (e.nodeHasZstd) {
        expect(e.broker.zstd).toEqual({ available: true, sent: 50, received: 50, intact: true })
        expect(e.zstdWrittenElsewhere).toEqual({ received: ZSTD_COUNT })
      } else {
        expect(e.broker.zstd!.available).toBe(false)
        expect(e.broker.zstd!.sendError).toMatchObject({ name: 'CompressionCodecUnavailableError', typed: true, isKafkaError: true, codec: 'zstd' })
        expect(e.broker.zstd!.sendError!.message).toMatch(/npm install zstd-napi/)
        expect(e.zstdWrittenElsewhere.received).toBe(0)
        expect(e.zstdWrittenElsewhere.readError).toMatchObject({ name: 'CompressionCodecUnavailableError', typed: true, codec: 'zstd' })
      }
    })
  })
})
