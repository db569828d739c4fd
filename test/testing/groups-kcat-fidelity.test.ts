/**
 * Fidelity against librdkafka (kcat, the Debian package; skipped where it is not installed): a balanced consumer
 * group of two kcat members through FakeKafka, with librdkafka's own assignor and commits, and its
 * read_committed consumer hiding what samsa aborted.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { Kafka } from '../../src/index.js'
import { FakeKafka } from '../../src/testing/index.js'
import type { ClassicGroup } from '../../src/testing/groups/coordinator.js'
import { waitFor } from '../helpers/wait.js'

const haveKcat = spawnSync('kcat', ['-V'], { stdio: 'ignore' }).status === 0

interface KcatRun {
  child: ChildProcess
  stdout: () => string[]
  stderr: () => string
  done: Promise<number | null>
}

function kcat(args: string[], timeoutMs = 60_000): KcatRun {
  const child = spawn('kcat', args, { stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  let err = ''
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()))
  child.stderr!.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-8000)))
  const killer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
  const done = new Promise<number | null>((resolve) => child.on('close', (code) => (clearTimeout(killer), resolve(code))))
  return { child, stdout: () => out.split('\n').filter((l) => l !== ''), stderr: () => err, done }
}

;(haveKcat ? describe : describe.skip)('FakeKafka with kcat (librdkafka)', () => {
  const problems: string[] = []
  const running: ChildProcess[] = []
  let fake: FakeKafka
  let kafka: Kafka

  beforeEach(async () => {
    problems.length = 0
    fake = await FakeKafka.start({ brokers: 3, topics: [{ name: 'kc', partitions: 4 }], seed: 17, log: (l) => problems.push(l) })
    kafka = new Kafka({ brokers: fake.bootstrap, logger: false })
  })
  afterEach(async () => {
    for (const child of running.splice(0)) child.kill('SIGKILL')
    await kafka.close()
    await fake.stop()
    expect(problems).toEqual([])
  })

  it('a balanced kcat group of two consumes each record once and commits', async () => {
    // No `-c`: a member that stopped after its own records would leave the group, and the rebalance could hand its
    // partitions, from before its last commit, to the other member. Both run until everything is consumed and
    // committed; then the group is as it was when the records arrived.
    const members = [0, 1].map(() => {
      const run = kcat(['-u', '-b', fake.bootstrap, '-G', 'kcat-group', '-o', 'beginning', '-X', 'auto.commit.interval.ms=100', '-X', 'session.timeout.ms=10000', 'kc'])
      running.push(run.child)
      return run
    })
    const group = (): ClassicGroup | undefined => fake.services.groups.groups.get('kcat-group') as ClassicGroup | undefined
    await waitFor(() => group()?.members.size === 2 && group()!.state === 'Stable', 30_000, 'two members in a Stable group')
    const generation = group()!.generationId
    // Records only now, five per partition: each member has two partitions, so exactly its 10.
    const producer = kafka.producer()
    await producer.send({ topic: 'kc', messages: Array.from({ length: 20 }, (_, i) => ({ value: `v${i}`, partition: i % 4 })) })
    await producer.close()
    const committedOffsets = (): Array<bigint | undefined> => {
      const committed = fake.services.groups.offsets.get('kcat-group')
      return Array.from({ length: 4 }, (_, p) => committed?.get(`kc\u0000${p}`)?.offset)
    }
    await waitFor(() => members.flatMap((m) => m.stdout()).length >= 20 && committedOffsets().every((o) => o === 5n), 30_000, '20 records consumed and committed')
    const got = members.map((m) => m.stdout())
    expect(group()!.generationId).toBe(generation)
    expect(got.map((g) => g.length)).toEqual([10, 10])
    expect(got.flat().sort()).toEqual(Array.from({ length: 20 }, (_, i) => `v${i}`).sort())
    expect(committedOffsets()).toEqual([5n, 5n, 5n, 5n])
  }, 60_000)

  it('the librdkafka read_committed consumer hides what samsa aborted', async () => {
    const producer = kafka.producer({ transactionalId: 'kcat-tx' })
    await producer.initTransactions()
    for (const [i, commit] of [true, false, true, false, true].entries()) {
      producer.beginTransaction()
      await producer.send({ topic: 'kc', messages: [{ value: `${commit ? 'c' : 'a'}${i}`, partition: 0 }] })
      if (commit) await producer.commitTransaction()
      else await producer.abortTransaction()
    }
    await producer.close()
    const read = (isolation: string): Promise<string[]> => {
      const run = kcat(['-b', fake.bootstrap, '-C', '-t', 'kc', '-p', '0', '-o', 'beginning', '-e', '-q', '-X', `isolation.level=${isolation}`])
      running.push(run.child)
      return run.done.then(() => run.stdout())
    }
    expect(await read('read_committed')).toEqual(['c0', 'c2', 'c4'])
    expect(await read('read_uncommitted')).toEqual(['c0', 'a1', 'c2', 'a3', 'c4'])
  }, 60_000)
})
