/**
 * examples/kafkajs-app/app.mjs is a KafkaJS program whose only change is its import line. This runs it on the
 * facade (from the built package, as a user would import it) and, with the import switched back, on KafkaJS itself,
 * against the same broker: both must finish the pipeline with every order enriched exactly once.
 */
import { execFile } from 'node:child_process'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { brokers } from './support.js'

const run = promisify(execFile)
const root = join(__dirname, '..', '..')
const app = join(root, 'examples', 'kafkajs-app', 'app.mjs')

interface Outcome {
  produced: number
  enriched: number
  audited: number
}

async function runApp(file: string, orderCount: number): Promise<Outcome> {
  const { stdout } = await run(process.execPath, [file], {
    cwd: root,
    env: { ...process.env, KAFKA_BROKERS: brokers.join(','), ORDER_COUNT: String(orderCount), KAFKAJS_NO_PARTITIONER_WARNING: '1' },
    timeout: 150_000,
  })
  const last = stdout.trim().split('\n').at(-1)!
  return JSON.parse(last) as Outcome
}

describe('the KafkaJS example application', () => {
  it('runs unchanged on samsa/kafkajs: every order enriched and audited once', async () => {
    const outcome = await runApp(app, 2000)
    expect(outcome).toMatchObject({ produced: 2000, audited: 2000 })
    expect(outcome.enriched).toBeGreaterThanOrEqual(2000)
  }, 180_000)

  it('is a KafkaJS program: with the import switched back it runs on KafkaJS 2.2.4', async () => {
    const source = readFileSync(app, 'utf8')
    const switched = source.replace("from 'samsa/kafkajs'", "from 'kafkajs'")
    expect(switched).not.toBe(source)
    // Inside the repository's node_modules so that `kafkajs` resolves to the installed devDependency.
    const dir = join(root, 'node_modules', '.cache', 'samsa-kafkajs-example')
    mkdirSync(dir, { recursive: true })
    const file = join(dir, 'app-on-kafkajs.mjs')
    writeFileSync(file, switched)
    const outcome = await runApp(file, 300)
    expect(outcome).toMatchObject({ produced: 300, audited: 300 })
  }, 180_000)
})
