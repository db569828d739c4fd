// Broker configuration for harness instances. One single-node broker serves every client security variant at
// once (one JVM is much cheaper than one per variant on a 2-core CI machine); the three-node cluster only
// needs PLAINTEXT.

export const HOST = '127.0.0.1'

export const USERS = {
  samsa: 'samsa-secret',
  admin: 'admin-secret',
}
export const SASL_MECHANISMS = ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512', 'OAUTHBEARER']
/** Session lifetime (KIP-368) of SCRAM-SHA-256 on the SASL_SSL listener. */
export const REAUTH_TEST_SESSION_MS = 5000
export const SUPER_USERS = ['User:ANONYMOUS', 'User:admin']

/** Listener names clients use, by the key they have in the instance state. */
export const CLIENT_LISTENERS = {
  plaintext: { listener: 'PLAINTEXT', protocol: 'PLAINTEXT' },
  sasl: { listener: 'SASL_PLAINTEXT', protocol: 'SASL_PLAINTEXT' },
  ssl: { listener: 'SSL', protocol: 'SSL' },
  saslSsl: { listener: 'SASL_SSL', protocol: 'SASL_SSL' },
}

/** Which client listeners a node of this cluster shape gets (every shape also has INTERNAL and CONTROLLER). */
export function clientListenerKeys(cluster) {
  return cluster === 'single' ? ['plaintext', 'sasl', 'ssl', 'saslSsl'] : ['plaintext']
}

function majorVersion(kafkaVersion) {
  return Number(kafkaVersion.split('.')[0])
}

function jaasFor(mechanism) {
  if (mechanism === 'PLAIN') {
    const users = Object.entries(USERS).map(([user, password]) => `user_${user}="${password}"`)
    return `org.apache.kafka.common.security.plain.PlainLoginModule required ${users.join(' ')};`
  }
  if (mechanism === 'OAUTHBEARER') {
    // Kafka's default (unsecured) validator accepts unsigned test tokens whose `sub` claim names the user; the
    // broker's own login only has to exist, it is never used between brokers here.
    return 'org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required unsecuredLoginStringClaim_sub="admin";'
  }
  // SCRAM credentials live in the cluster metadata (written at format time), not in JAAS.
  return 'org.apache.kafka.common.security.scram.ScramLoginModule required;'
}

/** `--add-scram` arguments for kafka.tools.StorageTool format, one per user and SCRAM mechanism. */
export function scramFormatArgs() {
  const args = []
  for (const mechanism of SASL_MECHANISMS.filter((m) => m.startsWith('SCRAM'))) {
    for (const [user, password] of Object.entries(USERS)) {
      args.push('--add-scram', `${mechanism}=[name=${user},password=${password}]`)
    }
  }
  return args
}

/** The log directories of a node with this data folder; StorageTool format creates and formats each one. */
export function logDirsOf(dataDir) {
  return [`${dataDir}/logs-a`, `${dataDir}/logs-b`]
}

/** The rack of a harness node (`broker.rack`): every node is alone in its own rack. */
export function rackOf(nodeId) {
  return `rack-${nodeId}`
}

/** Delegation tokens (single-node broker): a short default expiry so a renewal visibly extends it. */
export const DELEGATION_TOKEN_EXPIRY_MS = 60_000
export const DELEGATION_TOKEN_MAX_LIFETIME_MS = 600_000

/**
 * server.properties for one node.
 * @param {{
 *   kafkaVersion: string, cluster: 'single' | 'three', node: { id: number, ports: Record<string, number>, dataDir: string },
 *   nodes: Array<{ id: number, ports: Record<string, number> }>, tls?: { keystoreFile: string, keystorePassword: string },
 * }} options
 */
export function serverProperties({ kafkaVersion, cluster, node, nodes, tls }) {
  const clientKeys = clientListenerKeys(cluster)
  const replication = Math.min(3, nodes.length)
  const minIsr = Math.min(2, nodes.length)
  const listeners = [
    ...clientKeys.map((key) => `${CLIENT_LISTENERS[key].listener}://${HOST}:${node.ports[key]}`),
    `INTERNAL://${HOST}:${node.ports.internal}`,
  ]
  const protocolMap = [
    ...clientKeys.map((key) => `${CLIENT_LISTENERS[key].listener}:${CLIENT_LISTENERS[key].protocol}`),
    'INTERNAL:PLAINTEXT',
    'CONTROLLER:PLAINTEXT',
  ]
  const lines = {
    'process.roles': 'broker,controller',
    'node.id': node.id,
    // A static voter set formats and starts the same way on 3.9 and 4.x (no --standalone / dynamic quorum).
    'controller.quorum.voters': nodes.map((n) => `${n.id}@${HOST}:${n.ports.controller}`).join(','),
    listeners: [...listeners, `CONTROLLER://${HOST}:${node.ports.controller}`].join(','),
    // Clients never talk to the controller listener, and 3.x rejects it among advertised listeners.
    'advertised.listeners': listeners.join(','),
    'listener.security.protocol.map': protocolMap.join(','),
    'inter.broker.listener.name': 'INTERNAL',
    'controller.listener.names': 'CONTROLLER',
    // Two log directories per node (JBOD), so replicas can really be moved between them (alterReplicaLogDirs).
    // The metadata log lives in the first one.
    'log.dirs': logDirsOf(node.dataDir).join(','),
    'num.partitions': 1,
    'default.replication.factor': replication,
    'auto.create.topics.enable': true,
    // Tests join groups constantly; the default 3 s delay before the first rebalance would dominate them.
    'group.initial.rebalance.delay.ms': 0,
    // Few internal partitions: each one costs broker start-up and coordinator-load time.
    'offsets.topic.replication.factor': replication,
    'offsets.topic.num.partitions': 3,
    'transaction.state.log.replication.factor': replication,
    'transaction.state.log.min.isr': minIsr,
    'transaction.state.log.num.partitions': 3,
    // A node restarted after SIGKILL may only re-register once its old session has expired; the 9 s default
    // would make every crash test wait that long. Heartbeats stay well inside the shorter session.
    'broker.session.timeout.ms': 5000,
    'broker.heartbeat.interval.ms': 1000,
    // One rack per node, so follower fetching (KIP-392) can be tested: a consumer that names a rack is sent to
    // the replica there. Rack-aware replica placement with one node per rack spreads replicas exactly as
    // rack-unaware placement does, so nothing else changes.
    'broker.rack': rackOf(node.id),
    'replica.selector.class': 'org.apache.kafka.common.replica.RackAwareReplicaSelector',
    // KIP-848 consumer groups (4.4, and the 3.9 preview) take heartbeat interval and session timeout from the
    // broker, 5 s and 45 s by default, so every test where a member dies without leaving waited 45 s, and
    // assignment changes reached members only every 5 s. 10 s of silence is still far more than a member's
    // 1 s heartbeat interval can miss on a loaded 2-core machine (a GC pause, a busy event loop, a coordinator
    // move, which restarts session timers). The minimums are lowered with them; the maximums stay (the group-level
    // consumer.session.timeout.ms must stay inside [min, max]). Share groups keep their 45 s session: tests join
    // share members by hand and expect them to last, and none waits for one to expire (their heartbeat interval
    // is shortened below, on 4.x where share groups exist).
    'group.consumer.heartbeat.interval.ms': 1000,
    'group.consumer.min.heartbeat.interval.ms': 500,
    'group.consumer.session.timeout.ms': 10_000,
    'group.consumer.min.session.timeout.ms': 6000,
  }
  if (majorVersion(kafkaVersion) >= 4) {
    // Share groups and the KIP-848 consumer protocol are on by default in 4.4; only the state topic is sized.
    Object.assign(lines, {
      // A share member gets its first assignment with its second heartbeat: 5 s by default, per test.
      'group.share.heartbeat.interval.ms': 1000,
      'group.share.min.heartbeat.interval.ms': 500,
      'share.coordinator.state.topic.replication.factor': replication,
      'share.coordinator.state.topic.min.isr': minIsr,
      'share.coordinator.state.topic.num.partitions': 3,
    })
  } else {
    // 3.9 ships the KIP-848 consumer protocol as a preview that must be switched on.
    lines['group.coordinator.rebalance.protocols'] = 'classic,consumer'
  }
  if (clientKeys.includes('sasl')) {
    lines['sasl.enabled.mechanisms'] = SASL_MECHANISMS.join(',')
    for (const listener of ['sasl_plaintext', 'sasl_ssl']) {
      for (const mechanism of SASL_MECHANISMS) {
        lines[`listener.name.${listener}.${mechanism.toLowerCase()}.sasl.jaas.config`] = jaasFor(mechanism)
      }
    }
    // Lets admin tests create ACLs that deny `samsa` while everything without ACLs stays open.
    lines['authorizer.class.name'] = 'org.apache.kafka.metadata.authorizer.StandardAuthorizer'
    lines['allow.everyone.if.no.acl.found'] = true
    lines['super.users'] = SUPER_USERS.join(';')
    // KIP-368: sessions of SCRAM-SHA-256 over SASL_SSL expire after 5 s, so re-authentication is exercised; the
    // other listener/mechanism pairs keep sessions for the connection's lifetime.
    lines['listener.name.sasl_ssl.scram-sha-256.connections.max.reauth.ms'] = REAUTH_TEST_SESSION_MS
    // Delegation tokens are only served when a secret is configured; the secret only has to be shared by the
    // brokers of this one test cluster.
    lines['delegation.token.secret.key'] = 'samsa-harness-delegation-token-secret'
    lines['delegation.token.expiry.time.ms'] = DELEGATION_TOKEN_EXPIRY_MS
    lines['delegation.token.max.lifetime.ms'] = DELEGATION_TOKEN_MAX_LIFETIME_MS
  }
  if (tls) {
    Object.assign(lines, {
      'ssl.keystore.type': 'PKCS12',
      'ssl.keystore.location': tls.keystoreFile,
      'ssl.keystore.password': tls.keystorePassword,
      'ssl.key.password': tls.keystorePassword,
      'ssl.client.auth': 'none',
    })
  }
  return Object.entries(lines)
    .map(([key, value]) => `${key}=${value}`)
    .join('\n')
    .concat('\n')
}

/** Logging config: everything to stdout, which the harness points at the node's log file. */
export function loggingConfig(backend) {
  if (backend === 'log4j2') {
    return [
      'status = warn',
      'appender.out.type = Console',
      'appender.out.name = out',
      'appender.out.layout.type = PatternLayout',
      'appender.out.layout.pattern = [%d] %p %m (%c)%n',
      'rootLogger.level = INFO',
      'rootLogger.appenderRef.out.ref = out',
      'logger.requests.name = kafka.request.logger',
      'logger.requests.level = WARN',
      'logger.stateChange.name = state.change.logger',
      'logger.stateChange.level = WARN',
      '',
    ].join('\n')
  }
  return [
    'log4j.rootLogger=INFO, out',
    'log4j.appender.out=org.apache.log4j.ConsoleAppender',
    'log4j.appender.out.layout=org.apache.log4j.PatternLayout',
    'log4j.appender.out.layout.ConversionPattern=[%d] %p %m (%c)%n',
    'log4j.logger.kafka.request.logger=WARN',
    'log4j.logger.state.change.logger=WARN',
    '',
  ].join('\n')
}

/** JVM system properties that point the backend at the file written by loggingConfig(). */
export function loggingJvmArgs(backend, configFile) {
  return backend === 'log4j2' ? [`-Dlog4j2.configurationFile=${configFile}`] : [`-Dlog4j.configuration=file:${configFile}`]
}
