// `samsa/records` as users load it from the built package (dist/, `npm run build`; `npm test` builds first): the ESM
// and the CommonJS build both round-trip a batch of every codec. This catches what the Jest (CommonJS, from source)
// runs cannot: native bindings that only load one way (zstd-napi's binding has no ESM-visible names).
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const root = join(__dirname, '..', '..')

const ROUND_TRIP = `
  const codecs = ['none', 'gzip', 'snappy', 'lz4', 'zstd']
  const out = {}
  for (const compression of codecs) {
    const records = Array.from({ length: 50 }, (_, i) => ({ key: 'k' + i, value: 'value ' + i + ' '.repeat(i), headers: [['h', String(i)]], timestamp: 1700000000000 + i }))
    const batch = m.encodeRecordBatch({ records, compression })
    const { batches } = m.decodeRecordBatches(batch)
    out[compression] = batches[0].records.map((r) => r.value.toString()).join('|') === records.map((r) => r.value).join('|')
  }
  console.log(JSON.stringify(out))
`

function run(args: string[], cwd: string): Record<string, boolean> {
  const result = spawnSync(process.execPath, args, { cwd, encoding: 'utf8' })
  if (result.status !== 0) throw new Error(`node ${args.join(' ')} failed:\n${result.stderr}`)
  return JSON.parse(result.stdout) as Record<string, boolean>
}

describe('samsa/records from the built package', () => {
  let consumerDir = ''
  const everyCodec = { none: true, gzip: true, snappy: true, lz4: true, zstd: true }

  beforeAll(() => {
    for (const entry of ['dist/esm/records.js', 'dist/cjs/records/index.js']) {
      if (!existsSync(join(root, entry))) throw new Error(`${entry} is missing: run \`npm run build\` first (\`npm test\` does)`)
    }
    consumerDir = mkdtempSync(join(tmpdir(), 'samsa-records-exports-'))
    mkdirSync(join(consumerDir, 'node_modules'))
    symlinkSync(root, join(consumerDir, 'node_modules', 'samsa'), 'dir')
  })

  afterAll(() => {
    if (consumerDir) rmSync(consumerDir, { recursive: true, force: true })
  })

  it('import("samsa/records") round-trips every codec', () => {
    expect(run(['--input-type=module', '-e', `const m = await import('samsa/records');${ROUND_TRIP}`], consumerDir)).toEqual(everyCodec)
  })

  it('require("samsa/records") round-trips every codec', () => {
    expect(run(['--input-type=commonjs', '-e', `const m = require('samsa/records');${ROUND_TRIP}`], consumerDir)).toEqual(everyCodec)
  })
})
