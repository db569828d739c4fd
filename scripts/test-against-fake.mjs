// Runs a subset of samsa's integration tests, unchanged, against FakeKafka (samsa/testing) instead of a real
// broker: `npm run test:fake` (extra arguments go to jest). The fake lives in this process, so jest runs as a
// child and the tests reach the fake over loopback like any broker. Node 1, as on the harness's single node.
//
// Which tests, and why not the others: docs/testing.md ("Integration tests against FakeKafka").
import { spawn } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const { FakeKafka } = await import(join(root, 'dist', 'esm', 'testing.js'))

export const FILES = [
  'records-broker',
  'protocol-roundtrip',
  'consumer-assign',
  'deadlines',
  'cancellation',
  'request-observer',
  'producer',
  'producer-split',
  'producer-api',
  'admin-topics',
  'network',
  'consumer-group',
  'consumer-commit',
  'consumer-classic-static',
  'consumer-eos',
  'consumer-transactions',
].map((name) => `test/integration/${name}.test.ts`)

/** Tests that need what the fake does not have: writable broker configs, ListConfigResources. */
export const EXCLUDED = /alters broker, broker-logger|lists config resources/

const fake = await FakeKafka.start({ brokerIds: [1] })
process.stderr.write(`[test:fake] FakeKafka at ${fake.bootstrap}\n`)
const jest = join(root, 'node_modules', 'jest', 'bin', 'jest.js')
const args = [jest, ...FILES, '--testNamePattern', `^(?!.*(${EXCLUDED.source})).*$`, ...process.argv.slice(2)]
const child = spawn(process.execPath, args, { cwd: root, stdio: 'inherit', env: { ...process.env, KAFKA_BROKERS: fake.bootstrap, KAFKA_HARNESS: 'off' } })
const code = await new Promise((resolve) => child.on('exit', (status, signal) => resolve(status ?? (signal ? 1 : 0))))
await fake.stop()
process.exit(code)
