// The built package loads the way users load it: `import('samsa')` gets the ESM build and `require('samsa')`
// the CommonJS build, both resolved through package.json "exports" from outside the repository.
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

  it('ships the type declarations the "." export names', () => {
    const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
      exports: Record<string, { import: { types: string }; require: { types: string } }>
    }
    const main = manifest.exports['.']
    for (const types of [main.import.types, main.require.types]) {
      expect(existsSync(join(root, types))).toBe(true)
    }
  })
})
