// The built package loads the way users load it: `import('samsa')` gets the ES module entry and `require('samsa')`
// the CommonJS build, both resolved through package.json "exports" from outside the repository. The ES module
// entries re-export the CommonJS build, so a class is one and the same whichever way it was loaded.
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const root = join(__dirname, '..', '..')

interface LoadReport {
  resolved: string
  exportsKafkaError: boolean
  isError: boolean
  name: string
}

function runNode(args: string[], cwd: string): LoadReport {
  const result = spawnSync(process.execPath, args, { cwd, encoding: 'utf8' })
  if (result.status !== 0) throw new Error(`node ${args.join(' ')} failed:\n${result.stderr}`)
  return JSON.parse(result.stdout) as LoadReport
}

const REPORT = `({
  resolved: RESOLVED,
  exportsKafkaError: typeof m.KafkaError === 'function',
  isError: new m.KafkaError('probe') instanceof Error,
  name: new m.KafkaError('probe').name,
})`

describe('package exports (built dist/)', () => {
  let consumerDir = ''

  beforeAll(() => {
    for (const entry of ['dist/esm/index.js', 'dist/cjs/index.js']) {
      if (!existsSync(join(root, entry))) throw new Error(`${entry} is missing: run \`npm run build\` first (\`npm test\` does)`)
    }
    // A project of its own that depends on samsa, the way npm would link it.
    consumerDir = mkdtempSync(join(tmpdir(), 'samsa-exports-'))
    mkdirSync(join(consumerDir, 'node_modules'))
    symlinkSync(root, join(consumerDir, 'node_modules', 'samsa'), 'dir')
  })

  afterAll(() => {
    if (consumerDir) rmSync(consumerDir, { recursive: true, force: true })
  })

  it('import("samsa") loads the ESM build and exposes KafkaError', () => {
    const code = `const m = await import('samsa'); console.log(JSON.stringify(${REPORT.replace('RESOLVED', "import.meta.resolve('samsa')")}))`
    const report = runNode(['--input-type=module', '-e', code], consumerDir)
    expect(report.resolved).toMatch(/\/dist\/esm\/index\.js$/)
    expect(report).toMatchObject({ exportsKafkaError: true, isError: true, name: 'KafkaError' })
  })

  it('require("samsa") loads the CommonJS build and exposes KafkaError', () => {
    const code = `const m = require('samsa'); console.log(JSON.stringify(${REPORT.replace('RESOLVED', "require.resolve('samsa')")}))`
    const report = runNode(['--input-type=commonjs', '-e', code], consumerDir)
    expect(report.resolved).toMatch(/\/dist\/cjs\/index\.js$/)
    expect(report).toMatchObject({ exportsKafkaError: true, isError: true, name: 'KafkaError' })
  })

  it('import and require share one copy of every class, on every entry point', () => {
    const code = `
      import { createRequire } from 'node:module'
      const require = createRequire(import.meta.url)
      const out = {}
      for (const entry of ['samsa', 'samsa/records', 'samsa/protocol', 'samsa/kafkajs', 'samsa/testing', 'samsa/prometheus', 'samsa/opentelemetry']) {
        const esm = await import(entry)
        const cjs = require(entry)
        const names = Object.keys(esm).filter((n) => n !== 'default')
        out[entry] = {
          names: names.length,
          sameNames: names.sort().join() === Object.keys(cjs).sort().join(),
          differing: names.filter((n) => esm[n] !== cjs[n]),
        }
      }
      const { KafkaError: EsmKafkaError, ConnectionError } = await import('samsa')
      const { KafkaError: CjsKafkaError } = require('samsa')
      const { RecordsDecodeError } = await import('samsa/records')
      const { KafkaJSError } = await import('samsa/kafkajs')
      out.instanceof = {
        kafkajsErrorAcrossSystems: new (require('samsa/kafkajs').KafkaJSProtocolError)('probe') instanceof KafkaJSError,
        esmErrorIsCjsKafkaError: new ConnectionError('probe') instanceof CjsKafkaError,
        cjsRecordsErrorIsEsmKafkaError: new (require('samsa/records').RecordsDecodeError)('probe', 0) instanceof EsmKafkaError,
        recordsErrorIsMainExport: RecordsDecodeError === require('samsa').RecordsDecodeError,
      }
      console.log(JSON.stringify(out))`
    const report = runNode(['--input-type=module', '-e', code], consumerDir) as unknown as Record<string, unknown>
    for (const entry of ['samsa', 'samsa/records', 'samsa/protocol', 'samsa/kafkajs', 'samsa/testing', 'samsa/prometheus', 'samsa/opentelemetry']) {
      expect(report[entry]).toMatchObject({ sameNames: true, differing: [] })
      expect((report[entry] as { names: number }).names).toBeGreaterThan(entry === 'samsa/testing' || entry === 'samsa/prometheus' || entry === 'samsa/opentelemetry' ? 0 : 10)
    }
    expect(report.instanceof).toEqual({ kafkajsErrorAcrossSystems: true, esmErrorIsCjsKafkaError: true, cjsRecordsErrorIsEsmKafkaError: true, recordsErrorIsMainExport: true })
  })

  it('loads generated codecs per API, compression bindings, tls and zlib on first use, not at import', () => {
    const code = `
      const loaded = () => Object.keys(require.cache).filter((f) => f.includes('/protocol/generated/')).map((f) => f.replace(/.*\\/generated\\//, '')).sort()
      const Module = require('node:module')
      const builtins = new Set()
      const load = Module._load
      Module._load = function (request, ...rest) {
        if (Module.isBuiltin(request)) builtins.add(request.replace(/^node:/, ''))
        return load.call(this, request, ...rest)
      }
      const samsa = require('samsa')
      Module._load = load
      const costlyBuiltins = ['tls', 'zlib'].filter((name) => builtins.has(name))
      const atImport = loaded()
      const packagesAtImport = Object.keys(require.cache).filter((f) => f.includes('/node_modules/'))
      require('samsa/protocol')
      const afterProtocol = loaded().length
      const { registerSamsaMetrics } = require('samsa/prometheus')
      const promClientLoaded = Object.keys(require.cache).some((f) => f.includes('/prom-client/'))
      const otelBefore = Object.keys(require.cache).some((f) => f.includes('/@opentelemetry/'))
      const { SamsaInstrumentation } = require('samsa/opentelemetry')
      const otelAfter = Object.keys(require.cache).some((f) => f.includes('/@opentelemetry/instrumentation/'))
      console.log(JSON.stringify({ atImport, packagesAtImport, costlyBuiltins, hasKafka: typeof samsa.Kafka === 'function', afterProtocol, hasRegister: typeof registerSamsaMetrics === 'function', promClientLoaded, otelBefore, otelAfter, hasInstrumentation: typeof SamsaInstrumentation === 'function' }))`
    const report = runNode(['-e', code], consumerDir) as unknown as {
      atImport: string[]
      packagesAtImport: string[]
      costlyBuiltins: string[]
      hasKafka: boolean
      afterProtocol: number
      hasRegister: boolean
      promClientLoaded: boolean
      otelBefore: boolean
      otelAfter: boolean
      hasInstrumentation: boolean
    }
    // The request/response headers frame every request (the generated index and error table are in the bundle).
    expect(report.atImport).toEqual(['RequestHeader.js', 'ResponseHeader.js'])
    // No dependency at all: snappy, lz4-napi, @node-rs/crc32 (and zstd-napi where used) load when first needed.
    expect(report.packagesAtImport).toEqual([])
    // node:tls (first TLS connection) and node:zlib (first gzip or zstd batch) load when needed too.
    expect(report.costlyBuiltins).toEqual([])
    expect(report.hasKafka).toBe(true)
    // samsa/protocol exports every codec by name, so importing it loads them all.
    expect(report.afterProtocol).toBeGreaterThan(190)
    // samsa/prometheus needs prom-client (an optional peer dependency) only once registerSamsaMetrics is called.
    expect(report).toMatchObject({ hasRegister: true, promClientLoaded: false })
    // OpenTelemetry (optional peers) loads with samsa/opentelemetry only, never with samsa itself.
    expect(report).toMatchObject({ otelBefore: false, otelAfter: true, hasInstrumentation: true })
  })

  it('ships every file the "exports" map names', () => {
    const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
      exports: Record<string, { import: { types: string; default: string }; require: { types: string; default: string } } | string>
    }
    for (const [subpath, entry] of Object.entries(manifest.exports)) {
      if (typeof entry === 'string') continue
      for (const file of [entry.import.types, entry.import.default, entry.require.types, entry.require.default]) {
        expect({ subpath, file, exists: existsSync(join(root, file)) }).toEqual({ subpath, file, exists: true })
      }
    }
  })
})
