// The broker, its storage tool and the perf tools all run from one cached folder of Maven Central jars per
// Kafka version, so benchmarks and tests share the download.
import { spawnSync } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { cacheRoot } from '../lib/maven.mjs'
import { SCALA_BINARY_VERSION } from '../lib/versions.mjs'

// Kafka's POMs leave the SLF4J binding out (the release tarball adds it by hand), and without one the broker
// logs nothing at all. The binding must match the logging backend that kafka_2.13 pulls in transitively —
// check with `mvn dependency:tree` on a pom depending on kafka_2.13:<version> when adding a version here.
const here = dirname(fileURLToPath(import.meta.url))

const LOGGING_BY_VERSION = {
  // 4.x logs through Log4j2 (log4j-core 2.25.5 arrives via kafka-server); slf4j-api is still 1.7.x, hence the
  // slf4j-1 binding, not log4j-slf4j2-impl.
  '4.4.0': { backend: 'log4j2', artifacts: ['org.apache.logging.log4j:log4j-slf4j-impl:2.25.5'] },
  // 3.x logs through reload4j (the log4j 1.x fork).
  '3.9.2': { backend: 'reload4j', artifacts: ['org.slf4j:slf4j-reload4j:1.7.36'] },
}

export function supportedKafkaVersions() {
  return Object.keys(LOGGING_BY_VERSION)
}

/** The logging backend ('log4j2' | 'reload4j') the broker of `version` runs with. */
export function loggingBackend(version) {
  return loggingFor(version).backend
}

function loggingFor(version) {
  const logging = LOGGING_BY_VERSION[version]
  if (!logging) {
    throw new Error(
      `Kafka ${version} is not set up in scripts/kafka/jars.mjs (known: ${supportedKafkaVersions().join(', ')}); ` +
        'add its SLF4J binding there first',
    )
  }
  return logging
}

/** Maven coordinates for a runnable broker plus the perf tools (ProducerPerformance, ConsumerPerformance …). */
export function kafkaArtifacts(version) {
  return [
    `org.apache.kafka:kafka_${SCALA_BINARY_VERSION}:${version}`,
    `org.apache.kafka:kafka-tools:${version}`,
    ...loggingFor(version).artifacts,
  ]
}

/**
 * Makes sure the jars for `version` are in the cache and returns where they are. `cacheHit` is false when
 * Maven had to run.
 *
 * Maven runs in a child process whose stdout is our stderr: even with -q it writes terminal escape codes to
 * stdout, which would corrupt the CLI's `--json` output.
 * @param {string} version
 * @returns {{ libDir: string, classpath: string, cacheHit: boolean }}
 */
export function resolveKafkaJars(version) {
  const artifacts = kafkaArtifacts(version)
  const name = `kafka-${version}`
  const program = `
    import { writeSync } from 'node:fs'
    import { resolveArtifacts } from ${JSON.stringify(pathToFileURL(join(here, '..', 'lib', 'maven.mjs')).href)}
    let fetched = false
    const dir = resolveArtifacts({
      name: ${JSON.stringify(name)},
      artifacts: ${JSON.stringify(artifacts)},
      includeTransitive: true,
      log: (line) => { fetched = true; process.stderr.write(line + '\\n') },
    })
    writeSync(3, JSON.stringify({ dir, fetched }))
  `
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', program], {
    stdio: ['ignore', 2, 2, 'pipe'],
    encoding: 'utf8',
  })
  if (child.status !== 0) {
    throw new Error(`could not resolve Kafka ${version} jars from Maven Central (exit ${child.status ?? child.signal})`)
  }
  const { dir, fetched } = JSON.parse(child.output[3])
  return { libDir: dir, classpath: join(dir, '*'), cacheHit: !fetched }
}

export { cacheRoot }
