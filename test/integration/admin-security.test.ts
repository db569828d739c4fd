/**
 * ACLs, client quotas and SCRAM credentials against the harness broker, which runs StandardAuthorizer
 * (allow.everyone.if.no.acl.found, super users ANONYMOUS and admin) and a SASL listener with the user samsa.
 * Effects are checked where they matter: a DENY ACL stops samsa's produce over SASL, a new SCRAM user can log in.
 */
import { Admin } from '../../src/admin/admin.js'
import { AuthenticationError } from '../../src/errors.js'
import { ScramMechanism } from '../../src/network/sasl/scram.js'
import { describeWithEnv } from '../helpers/kafka.js'
import { eventually, openAdmin, openCluster, produceValues, type TestAdmin, uniqueName } from './admin-support.js'

const saslBrokers = () => process.env.KAFKA_SASL_BROKERS!.split(',')

describeWithEnv(['KAFKA_SASL_BROKERS'], 'Admin: ACLs', () => {
  let t: TestAdmin
  beforeAll(() => {
    t = openAdmin()
  })
  afterAll(() => t.close())

  it('a DENY Write ACL created for User:samsa stops its produce; describe and delete by filter', async () => {
    const topic = uniqueName('acl')
    await t.admin.createTopics([{ name: topic, numPartitions: 1, replicationFactor: 1 }])
    const samsa = openCluster(saslBrokers(), { mechanism: 'plain', username: 'samsa', password: 'samsa-secret' })
    try {
      await eventually(() => produceValues(samsa, topic, 0, ['before the ACL']))

      const created = await t.admin.createAcls([
        { resourceType: 'topic', resourceName: topic, principal: 'User:samsa', operation: 'write', permission: 'deny' },
        { resourceType: 'topic', resourceName: topic.slice(0, 12), patternType: 'prefixed', principal: 'User:samsa', host: '*', operation: 'read', permission: 'allow' },
        { resourceType: 'topic', resourceName: topic, patternType: 'match', principal: 'User:samsa', operation: 'write', permission: 'deny' },
      ])
      expect(created[0]!.error).toBeNull()
      expect(created[1]!.error).toBeNull()
      expect(created[2]!.error).toMatchObject({ errorName: 'INVALID_REQUEST' })

      // The answering broker learns of new ACLs through the metadata log.
      await eventually(async () => {
        const literal = await t.admin.describeAcls({ resourceType: 'topic', resourceName: topic, patternType: 'literal' })
        expect(literal).toEqual([
          { resourceType: 'topic', resourceName: topic, patternType: 'literal', principal: 'User:samsa', host: '*', operation: 'write', permission: 'deny' },
        ])
        const matching = await t.admin.describeAcls({ resourceType: 'topic', resourceName: topic, patternType: 'match', principal: 'User:samsa' })
        expect(matching.map((a) => a.patternType).sort()).toEqual(['literal', 'prefixed'])
      })

      await eventually(() => expect(produceValues(samsa, topic, 0, ['denied'])).rejects.toMatchObject({ errorName: 'TOPIC_AUTHORIZATION_FAILED', code: 29 }))

      const deleted = await t.admin.deleteAcls([
        { resourceType: 'topic', resourceName: topic, patternType: 'literal', principal: 'User:samsa' },
        { resourceType: 'topic', resourceName: topic.slice(0, 12), patternType: 'prefixed', operation: 'read' },
        { resourceType: 'topic', resourceName: uniqueName('nothing-here') },
      ])
      expect(deleted[0]!.error).toBeNull()
      expect(deleted[0]!.deleted).toEqual([{ binding: expect.objectContaining({ resourceName: topic, operation: 'write', permission: 'deny' }), error: null }])
      expect(deleted[1]!.deleted).toHaveLength(1)
      expect(deleted[2]).toMatchObject({ error: null, deleted: [] })
      await eventually(async () => expect(await t.admin.describeAcls({ resourceType: 'topic', resourceName: topic, patternType: 'match' })).toEqual([]))

      await eventually(() => produceValues(samsa, topic, 0, ['allowed again']))
    } finally {
      samsa.close()
    }
  })
})

describe('Admin: client quotas', () => {
  let t: TestAdmin
  beforeAll(() => {
    t = openAdmin()
  })
  afterAll(() => t.close())

  it('sets, reads back and removes quotas for a user, a client id and the default user', async () => {
    const user = uniqueName('quota-user')
    const clientId = uniqueName('quota-client')
    const results = await t.admin.alterClientQuotas([
      { entity: { user }, ops: { producer_byte_rate: 1048576, consumer_byte_rate: 2097152 } },
      { entity: { user, 'client-id': clientId }, ops: { request_percentage: 50 } },
      { entity: { user: uniqueName('bad') }, ops: { not_a_quota_key: 1 } },
    ])
    expect(results[0]).toEqual({ entity: { user }, error: null })
    expect(results[1]!.error).toBeNull()
    expect(results[2]!.error).toMatchObject({ errorName: 'INVALID_REQUEST' })

    await eventually(async () => {
      const exact = await t.admin.describeClientQuotas([{ entityType: 'user', match: user }], { strict: true })
      expect(exact).toEqual([{ entity: { user }, values: { producer_byte_rate: 1048576, consumer_byte_rate: 2097152 } }])
    })
    const withClient = await t.admin.describeClientQuotas([{ entityType: 'user', match: user }, { entityType: 'client-id' }])
    expect(withClient).toEqual([{ entity: { user, 'client-id': clientId }, values: { request_percentage: 50 } }])

    const validated = await t.admin.alterClientQuotas([{ entity: { user: null }, ops: { producer_byte_rate: 4096 } }], { validateOnly: true })
    expect(validated[0]!.error).toBeNull()
    expect(await t.admin.describeClientQuotas([{ entityType: 'user', match: null }])).toEqual([])

    await t.admin.alterClientQuotas([
      { entity: { user }, ops: { producer_byte_rate: null, consumer_byte_rate: null } },
      { entity: { user, 'client-id': clientId }, ops: { request_percentage: null } },
    ])
    await eventually(async () => expect(await t.admin.describeClientQuotas([{ entityType: 'user', match: user }])).toEqual([]))
  })
})

describeWithEnv(['KAFKA_SASL_BROKERS'], 'Admin: SCRAM credentials', () => {
  let t: TestAdmin
  beforeAll(() => {
    t = openAdmin()
  })
  afterAll(() => t.close())

  it('creates a SCRAM user that can then authenticate; describes and deletes it', async () => {
    const user = uniqueName('scram')
    const other = uniqueName('scram-other')
    const results = await t.admin.alterUserScramCredentials([
      { type: 'upsert', user, mechanism: 'SCRAM-SHA-256', password: 'first-secret', iterations: 4096 },
      { type: 'upsert', user: other, mechanism: 'SCRAM-SHA-256', password: 'other-secret' },
    ])
    expect(results).toEqual([
      { user, error: null },
      { user: other, error: null },
    ])
    expect(await t.admin.alterUserScramCredentials([{ type: 'upsert', user, mechanism: 'SCRAM-SHA-512', password: 'second-secret' }])).toEqual([
      { user, error: null },
    ])
    // The broker takes one change per user per request.
    const twice = await t.admin.alterUserScramCredentials([
      { type: 'delete', user: other, mechanism: 'SCRAM-SHA-256' },
      { type: 'upsert', user: other, mechanism: 'SCRAM-SHA-512', password: 'x' },
    ])
    expect(twice[0]!.error).toMatchObject({ errorName: 'DUPLICATE_RESOURCE' })

    await eventually(async () => {
      const [described] = await t.admin.describeUserScramCredentials([user])
      expect(described!.error).toBeNull()
      expect(described!.credentials.sort((a, b) => a.mechanism.localeCompare(b.mechanism))).toEqual([
        { mechanism: 'SCRAM-SHA-256', iterations: 4096 },
        { mechanism: 'SCRAM-SHA-512', iterations: 8192 },
      ])
    })
    const all = await t.admin.describeUserScramCredentials()
    expect(all.map((u) => u.user)).toEqual(expect.arrayContaining([user, 'samsa', 'admin']))

    const login = async (mechanism: 'scram-sha-256' | 'scram-sha-512', password: string) => {
      const cluster = openCluster(saslBrokers(), { mechanism, username: user, password })
      const admin = new Admin({ cluster, release: () => cluster.close() })
      try {
        return await admin.describeCluster()
      } finally {
        await admin.close()
      }
    }
    await eventually(async () => expect((await login('scram-sha-256', 'first-secret')).nodes.length).toBeGreaterThan(0))
    await eventually(async () => expect((await login('scram-sha-512', 'second-secret')).nodes.length).toBeGreaterThan(0))
    await expect(login('scram-sha-256', 'wrong-secret')).rejects.toBeInstanceOf(AuthenticationError)

    expect(await t.admin.alterUserScramCredentials([{ type: 'delete', user, mechanism: 'SCRAM-SHA-256' }])).toEqual([{ user, error: null }])
    expect(await t.admin.alterUserScramCredentials([{ type: 'delete', user, mechanism: 'SCRAM-SHA-512' }])).toEqual([{ user, error: null }])
    await t.admin.alterUserScramCredentials([{ type: 'delete', user: other, mechanism: 'SCRAM-SHA-256' }])
    await eventually(async () => {
      const [gone] = await t.admin.describeUserScramCredentials([user])
      expect(gone!.error).toMatchObject({ errorName: 'RESOURCE_NOT_FOUND' })
    })
    await eventually(() => expect(login('scram-sha-256', 'first-secret')).rejects.toBeInstanceOf(AuthenticationError))

    const [badDelete] = await t.admin.alterUserScramCredentials([{ type: 'delete', user: uniqueName('nobody'), mechanism: 'SCRAM-SHA-256' }])
    expect(badDelete!.error).toMatchObject({ errorName: 'RESOURCE_NOT_FOUND' })
  }, 90_000)
})

// The harness broker sets delegation.token.expiry.time.ms = 60 s and delegation.token.max.lifetime.ms = 10 min
// (scripts/kafka/config.mjs), so a renewal visibly moves the expiry and the max timestamp caps it.
const TOKEN_EXPIRY_MS = 60_000
const TOKEN_MAX_LIFETIME_MS = 600_000

describeWithEnv(['KAFKA_SASL_BROKERS'], 'Admin: delegation tokens', () => {
  let admin: Admin
  beforeAll(() => {
    // Tokens are only issued to a principal that authenticated with SASL (and not with a token itself).
    const cluster = openCluster(saslBrokers(), { mechanism: 'scram-sha-256', username: 'admin', password: 'admin-secret' })
    admin = new Admin({ cluster, release: () => cluster.close() })
  })
  afterAll(() => admin.close())

  const withTokenLogin = async <T>(tokenId: string, hmac: Buffer, use: (tokenAdmin: Admin) => Promise<T>, extensions = { tokenauth: 'true' }): Promise<T> => {
    const cluster = openCluster(saslBrokers(), new ScramMechanism('sha256', tokenId, hmac.toString('base64'), undefined, extensions))
    const tokenAdmin = new Admin({ cluster, release: () => cluster.close() })
    try {
      return await use(tokenAdmin)
    } finally {
      await tokenAdmin.close()
    }
  }

  it('refuses tokens to an unauthenticated (PLAINTEXT) caller', async () => {
    const t = openAdmin()
    try {
      await expect(t.admin.createDelegationToken()).rejects.toMatchObject({ errorName: 'DELEGATION_TOKEN_REQUEST_NOT_ALLOWED' })
    } finally {
      await t.close()
    }
  })

  it('creates a token on behalf of another owner (KIP-373) and logs in with it', async () => {
    const token = await admin.createDelegationToken({ owner: 'User:samsa' })
    expect(token).toMatchObject({ owner: 'User:samsa', tokenRequester: 'User:admin', renewers: [] })
    await eventually(async () => {
      const owned = await admin.describeDelegationTokens({ owners: ['User:samsa'] })
      expect(owned.find((d) => d.tokenId === token.tokenId)).toMatchObject({ owner: 'User:samsa', tokenRequester: 'User:admin' })
    })
    await eventually(() => withTokenLogin(token.tokenId, token.hmac, async (tokenAdmin) => expect((await tokenAdmin.describeCluster()).nodes.length).toBeGreaterThan(0)))

    // Only the owner and the renewers may renew or expire a token, not the principal that requested it.
    await expect(admin.expireDelegationToken(token.hmac)).rejects.toMatchObject({ errorName: 'DELEGATION_TOKEN_OWNER_MISMATCH' })
    const samsaCluster = openCluster(saslBrokers(), { mechanism: 'scram-sha-256', username: 'samsa', password: 'samsa-secret' })
    const asOwner = new Admin({ cluster: samsaCluster, release: () => samsaCluster.close() })
    try {
      expect(await asOwner.expireDelegationToken(token.hmac)).toBeLessThanOrEqual(Date.now())
    } finally {
      await asOwner.close()
    }
    await eventually(() => expect(withTokenLogin(token.tokenId, token.hmac, (a) => a.describeCluster())).rejects.toBeInstanceOf(AuthenticationError))
  }, 60_000)

  it('creates a token that authenticates over SCRAM (tokenauth=true), renews it, describes it, and expiring it stops its logins', async () => {
    // Principals are Type:name; a bare name is refused before anything is sent.
    await expect(admin.createDelegationToken({ renewers: ['samsa'] })).rejects.toThrow(/Type:name/)
    const token = await admin.createDelegationToken({ renewers: ['User:samsa'] })
    expect(token.owner).toBe('User:admin')
    expect(token.tokenRequester).toBe('User:admin')
    expect(token.tokenId.length).toBeGreaterThan(0)
    expect(token.hmac.length).toBeGreaterThan(0)
    expect(token.expiryTimestamp - token.issueTimestamp).toBe(TOKEN_EXPIRY_MS)
    expect(token.maxTimestamp - token.issueTimestamp).toBe(TOKEN_MAX_LIFETIME_MS)

    const described = await eventually(async () => {
      const found = (await admin.describeDelegationTokens()).find((d) => d.tokenId === token.tokenId)
      expect(found).toBeDefined()
      return found!
    })
    expect(described).toEqual({ ...token, renewers: ['User:samsa'] })
    expect((await admin.describeDelegationTokens({ owners: ['User:admin'] })).map((d) => d.tokenId)).toContain(token.tokenId)
    expect((await admin.describeDelegationTokens({ owners: ['User:nobody'] })).map((d) => d.tokenId)).not.toContain(token.tokenId)

    // The token logs in as its owner: a super user may describe the cluster's ACLs, which samsa could not.
    await eventually(() => withTokenLogin(token.tokenId, token.hmac, async (tokenAdmin) => expect(await tokenAdmin.describeAcls()).toBeInstanceOf(Array)))
    // A token-authenticated principal cannot mint further tokens.
    await withTokenLogin(token.tokenId, token.hmac, (tokenAdmin) =>
      expect(tokenAdmin.createDelegationToken()).rejects.toMatchObject({ errorName: 'DELEGATION_TOKEN_REQUEST_NOT_ALLOWED' }),
    )
    // Without the extension the broker looks the token id up as a SCRAM user, which does not exist.
    await expect(withTokenLogin(token.tokenId, token.hmac, (a) => a.describeCluster(), {} as { tokenauth: string })).rejects.toBeInstanceOf(AuthenticationError)
    await expect(withTokenLogin(token.tokenId, Buffer.from('not the hmac'), (a) => a.describeCluster())).rejects.toBeInstanceOf(AuthenticationError)

    const renewedExpiry = await admin.renewDelegationToken(token.hmac, { renewPeriodMs: 300_000 })
    expect(renewedExpiry).toBeGreaterThan(token.expiryTimestamp)
    expect(renewedExpiry).toBeLessThanOrEqual(token.maxTimestamp)
    await eventually(async () => {
      const after = (await admin.describeDelegationTokens()).find((d) => d.tokenId === token.tokenId)
      expect(after?.expiryTimestamp).toBe(renewedExpiry)
    })
    // Renewals never pass the max timestamp.
    expect(await admin.renewDelegationToken(token.hmac, { renewPeriodMs: 10 * TOKEN_MAX_LIFETIME_MS })).toBeLessThanOrEqual(token.maxTimestamp)
    await expect(admin.renewDelegationToken(Buffer.from('no such token'))).rejects.toMatchObject({ errorName: 'DELEGATION_TOKEN_NOT_FOUND' })

    const expiredAt = await admin.expireDelegationToken(token.hmac)
    expect(expiredAt).toBeLessThanOrEqual(Date.now())
    await eventually(async () => expect((await admin.describeDelegationTokens()).map((d) => d.tokenId)).not.toContain(token.tokenId))
    await eventually(() => expect(withTokenLogin(token.tokenId, token.hmac, (a) => a.describeCluster())).rejects.toBeInstanceOf(AuthenticationError))
  }, 90_000)
})
