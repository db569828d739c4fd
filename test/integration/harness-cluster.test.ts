// The three-node harness cluster: every node serves, and a node killed with SIGKILL comes back on the same
// port with `restart` — the primitive the reliability tests build on.
import { spawnSync } from 'node:child_process'
import { dirname, join } from 'node:path'
import {
  HarnessInstance,
  RawKafkaConnection,
  API_KEY,
  kafkaStatus,
  killKafkaNode,
  requestApiVersions,
  restartKafkaNode,
  startKafka,
  stopKafka,
} from '../helpers/kafka.js'

const HOST = '127.0.0.1'

async function apiVersionsErrorCode(port: number): Promise<number> {
  const connection = await RawKafkaConnection.connect({ host: HOST, port })
  try {
    const answer = await requestApiVersions(connection)
    expect(answer.apis.has(API_KEY.Metadata)).toBe(true)
    return answer.errorCode
  } finally {
    connection.close()
  }
}

describe('three-node harness cluster', () => {
  let cluster: HarnessInstance | undefined

  beforeAll(async () => {
    cluster = await startKafka({ cluster: 'three' })
  }, 240_000)

  afterAll(async () => {
    if (cluster) await stopKafka(cluster.name)
  }, 60_000)

  function started(): HarnessInstance {
    if (!cluster) throw new Error('cluster did not start')
    return cluster
  }

  it('has three nodes on distinct ports, all in the bootstrap list', () => {
    const { nodes, bootstrap } = started()
    expect(nodes.map((n) => n.id)).toEqual([1, 2, 3])
    const allPorts = nodes.flatMap((n) => Object.values(n.ports))
    expect(new Set(allPorts).size).toBe(allPorts.length)
    expect(bootstrap.split(',')).toEqual(nodes.map((n) => `${HOST}:${n.port}`))
  })

  it('answers ApiVersions on every node', async () => {
    for (const node of started().nodes) {
      expect(await apiVersionsErrorCode(node.port)).toBe(0)
    }
  })

  it('loses a node to SIGKILL and gets it back with restart', async () => {
    const { name, nodes } = started()
    const victim = nodes[1]
    await killKafkaNode(name, victim.id)

    const afterKill = await kafkaStatus(name)
    expect(afterKill.running).toBe(false)
    expect(afterKill.nodes.find((n) => n.id === victim.id)?.alive).toBe(false)
    await expect(RawKafkaConnection.connect({ host: HOST, port: victim.port })).rejects.toThrow(/ECONNREFUSED/)
    for (const survivor of nodes.filter((n) => n.id !== victim.id)) {
      expect(await apiVersionsErrorCode(survivor.port)).toBe(0)
    }

    const afterRestart = await restartKafkaNode(name, victim.id)
    expect(afterRestart.running).toBe(true)
    const revived = afterRestart.nodes.find((n) => n.id === victim.id)
    expect(revived?.port).toBe(victim.port)
    expect(revived?.pid).not.toBe(victim.pid)
    expect(await apiVersionsErrorCode(victim.port)).toBe(0)
  }, 240_000)

  it('reuses the jar cache: resolving again needs no Maven (mvn is not even on PATH)', () => {
    const jars = join(__dirname, '..', '..', 'scripts', 'kafka', 'jars.mjs')
    const program = `import(${JSON.stringify(jars)}).then((m) => console.log(JSON.stringify(m.resolveKafkaJars(${JSON.stringify(started().kafkaVersion)}))))`
    const result = spawnSync(process.execPath, ['-e', program], {
      encoding: 'utf8',
      env: { ...process.env, PATH: dirname(process.execPath) },
    })
    expect(result.stderr).toBe('')
    expect(result.status).toBe(0)
    expect(JSON.parse(result.stdout)).toMatchObject({ cacheHit: true })
  })
})
