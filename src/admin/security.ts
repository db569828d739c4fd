/**
 * Security and quotas: ACLs, client quotas, SCRAM credentials and delegation tokens. Like the Java admin these go
 * to any broker, which forwards changes to the controller. SCRAM passwords never leave this process: only the salted password
 * (PBKDF2, RFC 5802's Hi()) and the salt are sent.
 */
import { pbkdf2, randomBytes } from 'node:crypto'
import { KafkaError, type KafkaProtocolError } from '../errors.js'
import { ApiKeys, ErrorCodes } from '../protocol/index.js'
import { ACL_OPERATIONS, type AclOperation, type AdminCallOptions, type AdminContext, itemError, send, throwIfError } from './internal.js'

const { INVALID_REQUEST } = ErrorCodes

export type AclResourceType = 'unknown' | 'any' | 'topic' | 'group' | 'cluster' | 'transactional-id' | 'delegation-token' | 'user'
export type AclPatternType = 'unknown' | 'any' | 'match' | 'literal' | 'prefixed'
export type AclPermission = 'unknown' | 'any' | 'deny' | 'allow'

// Indexed by protocol code; the KafkaJS facade translates with the same tables.
export const ACL_RESOURCE_TYPES: readonly AclResourceType[] = ['unknown', 'any', 'topic', 'group', 'cluster', 'transactional-id', 'delegation-token', 'user']
export const ACL_PATTERN_TYPES: readonly AclPatternType[] = ['unknown', 'any', 'match', 'literal', 'prefixed']
export const ACL_PERMISSIONS: readonly AclPermission[] = ['unknown', 'any', 'deny', 'allow']

function codeOf<T extends string>(table: readonly T[], value: T, what: string): number {
  const code = table.indexOf(value)
  if (code < 0) throw new KafkaError(`Unknown ACL ${what} "${value}"`)
  return code
}

export interface AclBinding {
  resourceType: AclResourceType
  /** Topic/group/transactional id name (or prefix), `kafka-cluster` for the cluster. */
  resourceName: string
  /** Default 'literal'. */
  patternType?: AclPatternType
  /** e.g. `User:alice`. */
  principal: string
  /** `*` for any host. Default '*'. */
  host?: string
  operation: AclOperation
  permission: AclPermission
}

/** Matches ACLs: left-out fields match anything. */
export interface AclBindingFilter {
  resourceType?: AclResourceType
  resourceName?: string | null
  /** Default 'any' (every pattern type); 'match' finds the ACLs that would apply to `resourceName`. */
  patternType?: AclPatternType
  principal?: string | null
  host?: string | null
  operation?: AclOperation
  permission?: AclPermission
}

export type DescribedAcl = Required<AclBinding>

export interface CreateAclResult {
  binding: AclBinding
  error: KafkaProtocolError | null
}

export interface DeleteAclsResult {
  filter: AclBindingFilter
  /** The ACLs the filter matched and deleted (each with its own error, normally null). */
  deleted: Array<{ binding: DescribedAcl; error: KafkaProtocolError | null }>
  error: KafkaProtocolError | null
}

function filterFields(filter: AclBindingFilter) {
  return {
    resourceTypeFilter: codeOf(ACL_RESOURCE_TYPES, filter.resourceType ?? 'any', 'resource type'),
    resourceNameFilter: filter.resourceName ?? null,
    patternTypeFilter: codeOf(ACL_PATTERN_TYPES, filter.patternType ?? 'any', 'pattern type'),
    principalFilter: filter.principal ?? null,
    hostFilter: filter.host ?? null,
    operation: codeOf(ACL_OPERATIONS, filter.operation ?? 'any', 'operation'),
    permissionType: codeOf(ACL_PERMISSIONS, filter.permission ?? 'any', 'permission'),
  }
}

function described(a: {
  resourceType: number
  resourceName: string
  patternType?: number
  principal: string
  host: string
  operation: number
  permissionType: number
}): DescribedAcl {
  return {
    resourceType: ACL_RESOURCE_TYPES[a.resourceType] ?? 'unknown',
    resourceName: a.resourceName,
    patternType: ACL_PATTERN_TYPES[a.patternType ?? 3] ?? 'unknown',
    principal: a.principal,
    host: a.host,
    operation: ACL_OPERATIONS[a.operation] ?? 'unknown',
    permission: ACL_PERMISSIONS[a.permissionType] ?? 'unknown',
  }
}


/** Why a binding cannot be created (a filter-only value where a concrete one is needed), or null. */
function invalidBinding(b: AclBinding): string | null {
  const pattern = b.patternType ?? 'literal'
  if (b.resourceType === 'any' || b.resourceType === 'unknown') return `resource type "${b.resourceType}" only works in filters`
  if (pattern !== 'literal' && pattern !== 'prefixed') return `pattern type "${pattern}" only works in filters`
  if (b.operation === 'any' || b.operation === 'unknown') return `operation "${b.operation}" only works in filters`
  if (b.permission === 'any' || b.permission === 'unknown') return `permission "${b.permission}" only works in filters`
  return null
}

/**
 * Creates ACLs. Bindings that use filter-only values (`any`, `match`) are refused here with INVALID_REQUEST, as the
 * Java admin does, because the controller fails the whole batch for one such binding.
 */
export async function createAcls(ctx: AdminContext, bindings: AclBinding[], options: AdminCallOptions = {}): Promise<CreateAclResult[]> {
  const label = (b: AclBinding) => `ACL ${b.principal} ${b.operation} ${b.resourceName}`
  const problems = bindings.map(invalidBinding)
  const valid = bindings.filter((_, i) => problems[i] === null)
  const results = new Map<AclBinding, KafkaProtocolError | null>()
  if (valid.length > 0) {
    const response = await send(
      ctx,
      { kind: 'any' },
      ApiKeys.CreateAcls,
      {
        creations: valid.map((b) => ({
          resourceType: codeOf(ACL_RESOURCE_TYPES, b.resourceType, 'resource type'),
          resourceName: b.resourceName,
          resourcePatternType: codeOf(ACL_PATTERN_TYPES, b.patternType ?? 'literal', 'pattern type'),
          principal: b.principal,
          host: b.host ?? '*',
          operation: codeOf(ACL_OPERATIONS, b.operation, 'operation'),
          permissionType: codeOf(ACL_PERMISSIONS, b.permission, 'permission'),
        })),
      },
      { signal: options.signal },
    )
    // Results come back in the order of the creations.
    valid.forEach((b, i) => {
      const r = response.results[i]
      results.set(b, r ? itemError(r.errorCode, label(b), r.errorMessage) : itemError(-1, label(b), 'no result for this ACL'))
    })
  }
  return bindings.map((binding, i) => ({ binding, error: problems[i] ? itemError(INVALID_REQUEST, label(binding), problems[i]) : (results.get(binding) ?? null) }))
}

export async function describeAcls(ctx: AdminContext, filter: AclBindingFilter = {}, options: AdminCallOptions = {}): Promise<DescribedAcl[]> {
  const response = await send(ctx, { kind: 'any' }, ApiKeys.DescribeAcls, filterFields(filter), { signal: options.signal })
  throwIfError(response.errorCode, 'DescribeAcls', response.errorMessage)
  return response.resources.flatMap((r) =>
    r.acls.map((a) => described({ resourceType: r.resourceType, resourceName: r.resourceName, patternType: r.patternType, ...a })),
  )
}

export async function deleteAcls(ctx: AdminContext, filters: AclBindingFilter[], options: AdminCallOptions = {}): Promise<DeleteAclsResult[]> {
  if (filters.length === 0) return []
  const response = await send(ctx, { kind: 'any' }, ApiKeys.DeleteAcls, { filters: filters.map(filterFields) }, { signal: options.signal })
  return filters.map((filter, i) => {
    const r = response.filterResults[i]
    if (!r) return { filter, deleted: [], error: itemError(-1, 'DeleteAcls', 'no result for this filter') }
    return {
      filter,
      error: itemError(r.errorCode, 'DeleteAcls', r.errorMessage),
      deleted: r.matchingAcls.map((m) => ({ binding: described(m), error: itemError(m.errorCode, `ACL ${m.principal} on ${m.resourceName}`, m.errorMessage) })),
    }
  })
}

// ---- client quotas ----

/** Quota entity: entity type (`user`, `client-id`, `ip`) → name, or null for that type's default entity. */
export type QuotaEntity = Record<string, string | null>

export interface QuotaFilterComponent {
  entityType: string
  /** A name matches that entity exactly; null matches the default entity; left out matches any named entity. */
  match?: string | null
}

export interface DescribeClientQuotasOptions extends AdminCallOptions {
  /** Only entities with exactly these components (no others). */
  strict?: boolean
}

export interface ClientQuotaEntry {
  entity: QuotaEntity
  /** e.g. `{ producer_byte_rate: 1048576 }`. */
  values: Record<string, number>
}

export interface ClientQuotaAlteration {
  entity: QuotaEntity
  /** Quota key → new value, or null to remove the quota. */
  ops: Record<string, number | null>
}

export interface AlterClientQuotasOptions extends AdminCallOptions {
  validateOnly?: boolean
}

export interface AlterClientQuotaResult {
  entity: QuotaEntity
  error: KafkaProtocolError | null
}

const MATCH_EXACT = 0
const MATCH_DEFAULT = 1
const MATCH_ANY = 2

export async function describeClientQuotas(
  ctx: AdminContext,
  components: QuotaFilterComponent[],
  options: DescribeClientQuotasOptions = {},
): Promise<ClientQuotaEntry[]> {
  const response = await send(
    ctx,
    { kind: 'any' },
    ApiKeys.DescribeClientQuotas,
    {
      components: components.map((c) => ({
        entityType: c.entityType,
        matchType: c.match === undefined ? MATCH_ANY : c.match === null ? MATCH_DEFAULT : MATCH_EXACT,
        match: c.match ?? null,
      })),
      strict: options.strict ?? false,
    },
    { signal: options.signal },
  )
  throwIfError(response.errorCode, 'DescribeClientQuotas', response.errorMessage)
  return (response.entries ?? []).map((e) => ({
    entity: Object.fromEntries(e.entity.map((d) => [d.entityType, d.entityName])),
    values: Object.fromEntries(e.values.map((v) => [v.key, v.value])),
  }))
}

function sameEntity(a: QuotaEntity, b: Array<{ entityType: string; entityName: string | null }>): boolean {
  const keys = Object.keys(a)
  return keys.length === b.length && b.every((d) => d.entityType in a && a[d.entityType] === d.entityName)
}

export async function alterClientQuotas(
  ctx: AdminContext,
  alterations: ClientQuotaAlteration[],
  options: AlterClientQuotasOptions = {},
): Promise<AlterClientQuotaResult[]> {
  if (alterations.length === 0) return []
  const response = await send(
    ctx,
    { kind: 'any' },
    ApiKeys.AlterClientQuotas,
    {
      entries: alterations.map((a) => ({
        entity: Object.entries(a.entity).map(([entityType, entityName]) => ({ entityType, entityName })),
        ops: Object.entries(a.ops).map(([key, value]) => ({ key, value: value ?? 0, remove: value === null })),
      })),
      validateOnly: options.validateOnly ?? false,
    },
    { signal: options.signal },
  )
  return alterations.map((a) => {
    const r = response.entries.find((e) => sameEntity(a.entity, e.entity))
    return { entity: a.entity, error: r ? itemError(r.errorCode, JSON.stringify(a.entity), r.errorMessage) : itemError(-1, JSON.stringify(a.entity), 'no result for this entity') }
  })
}

// ---- SCRAM credentials ----

export type ScramMechanismName = 'SCRAM-SHA-256' | 'SCRAM-SHA-512'
const SCRAM_CODES: Record<ScramMechanismName, number> = { 'SCRAM-SHA-256': 1, 'SCRAM-SHA-512': 2 }
const SCRAM_HASH: Record<ScramMechanismName, { digest: string; length: number }> = {
  'SCRAM-SHA-256': { digest: 'sha256', length: 32 },
  'SCRAM-SHA-512': { digest: 'sha512', length: 64 },
}

export interface ScramCredentialInfo {
  mechanism: ScramMechanismName | 'unknown'
  iterations: number
}

export interface UserScramCredentials {
  user: string
  credentials: ScramCredentialInfo[]
  error: KafkaProtocolError | null
}

export type ScramCredentialAlteration =
  | {
      type: 'upsert'
      user: string
      mechanism: ScramMechanismName
      password: string
      /** Kafka accepts 4096..16384. Default 8192. */
      iterations?: number
      /** Default: 32 random bytes. */
      salt?: Buffer
    }
  | { type: 'delete'; user: string; mechanism: ScramMechanismName }

export interface AlterScramResult {
  user: string
  error: KafkaProtocolError | null
}

export async function describeUserScramCredentials(ctx: AdminContext, users?: string[], options: AdminCallOptions = {}): Promise<UserScramCredentials[]> {
  const response = await send(
    ctx,
    { kind: 'any' },
    ApiKeys.DescribeUserScramCredentials,
    { users: users ? users.map((name) => ({ name })) : null },
    { signal: options.signal },
  )
  throwIfError(response.errorCode, 'DescribeUserScramCredentials', response.errorMessage)
  const mechanismName = (code: number) => (Object.keys(SCRAM_CODES) as ScramMechanismName[]).find((m) => SCRAM_CODES[m] === code) ?? 'unknown'
  return response.results.map((r) => ({
    user: r.user,
    error: itemError(r.errorCode, r.user, r.errorMessage),
    credentials: r.credentialInfos.map((c) => ({ mechanism: mechanismName(c.mechanism), iterations: c.iterations })),
  }))
}

function saltedPassword(password: string, salt: Buffer, iterations: number, mechanism: ScramMechanismName): Promise<Buffer> {
  const { digest, length } = SCRAM_HASH[mechanism]
  return new Promise((resolve, reject) => pbkdf2(password, salt, iterations, length, digest, (err, key) => (err ? reject(err) : resolve(key))))
}

export async function alterUserScramCredentials(
  ctx: AdminContext,
  alterations: ScramCredentialAlteration[],
  options: AdminCallOptions = {},
): Promise<AlterScramResult[]> {
  if (alterations.length === 0) return []
  const upsertions = await Promise.all(
    alterations
      .filter((a): a is Extract<ScramCredentialAlteration, { type: 'upsert' }> => a.type === 'upsert')
      .map(async (a) => {
        const iterations = a.iterations ?? 8192
        const salt = a.salt ?? randomBytes(32)
        return { name: a.user, mechanism: SCRAM_CODES[a.mechanism], iterations, salt, saltedPassword: await saltedPassword(a.password, salt, iterations, a.mechanism) }
      }),
  )
  const deletions = alterations
    .filter((a): a is Extract<ScramCredentialAlteration, { type: 'delete' }> => a.type === 'delete')
    .map((a) => ({ name: a.user, mechanism: SCRAM_CODES[a.mechanism] }))
  const response = await send(ctx, { kind: 'any' }, ApiKeys.AlterUserScramCredentials, { deletions, upsertions }, { signal: options.signal })
  const users = [...new Set(alterations.map((a) => a.user))]
  return users.map((user) => {
    const r = response.results.find((x) => x.user === user)
    return { user, error: r ? itemError(r.errorCode, user, r.errorMessage) : itemError(-1, user, 'no result for this user') }
  })
}

// ---- delegation tokens ----

/** A principal as `Type:name` (e.g. `User:alice`), the form Kafka's ACLs and tokens use. */
function splitPrincipal(principal: string): { principalType: string; principalName: string } {
  const colon = principal.indexOf(':')
  if (colon <= 0) throw new KafkaError(`Principal "${principal}" is not of the form Type:name (e.g. User:alice)`)
  return { principalType: principal.slice(0, colon), principalName: principal.slice(colon + 1) }
}

export interface DelegationToken {
  tokenId: string
  /** The token's secret: authenticate with SCRAM as `tokenId` with `hmac.toString('base64')` as the password. */
  hmac: Buffer
  /** `Type:name` of the principal the token acts as. */
  owner: string
  /** `Type:name` of who asked for the token (differs from `owner` when created on someone's behalf; KIP-373). */
  tokenRequester: string
  /** Principals allowed to renew (and expire) the token besides its owner. */
  renewers: string[]
  issueTimestamp: number
  /** When the token stops authenticating unless renewed. */
  expiryTimestamp: number
  /** The latest expiry renewals can reach. */
  maxTimestamp: number
}

export interface CreateDelegationTokenOptions extends AdminCallOptions {
  /** `Type:name` principals that may renew the token. */
  renewers?: string[]
  /** Caps the token's lifetime below the broker's `delegation.token.max.lifetime.ms`; the broker's cap when left out. */
  maxLifetimeMs?: number
  /** Create the token for another principal (KIP-373, needs CreateTokens on that user); the caller when left out. */
  owner?: string
}

export interface RenewDelegationTokenOptions extends AdminCallOptions {
  /** How far from now the expiry moves (never past the token's max timestamp); the broker's default when left out. */
  renewPeriodMs?: number
}

export interface ExpireDelegationTokenOptions extends AdminCallOptions {
  /** Expire this far from now; left out (or negative), the token expires immediately. */
  expiryTimePeriodMs?: number
}

export interface DescribeDelegationTokensOptions extends AdminCallOptions {
  /** Only tokens owned by these `Type:name` principals; every token the caller may describe when left out. */
  owners?: string[]
}

// Tokens can only be created by a SASL-authenticated principal that did not itself log in with a token; the
// broker answers DELEGATION_TOKEN_REQUEST_NOT_ALLOWED otherwise, which surfaces as a KafkaProtocolError.
export async function createDelegationToken(ctx: AdminContext, options: CreateDelegationTokenOptions = {}): Promise<DelegationToken> {
  const owner = options.owner === undefined ? null : splitPrincipal(options.owner)
  const response = await send(
    ctx,
    { kind: 'any' },
    ApiKeys.CreateDelegationToken,
    {
      ownerPrincipalType: owner?.principalType ?? null,
      ownerPrincipalName: owner?.principalName ?? null,
      renewers: (options.renewers ?? []).map(splitPrincipal),
      maxLifetimeMs: BigInt(options.maxLifetimeMs ?? -1),
    },
    {
      signal: options.signal,
      // Owner on someone else's behalf needs v3; refuse rather than silently create the token for ourselves.
      version: (negotiated) => {
        if (owner && negotiated < 3) throw new KafkaError('Creating a delegation token for another owner needs CreateDelegationToken v3 (Kafka 3.3+)')
        return negotiated
      },
    },
  )
  throwIfError(response.errorCode, 'CreateDelegationToken')
  const ownerPrincipal = `${response.principalType}:${response.principalName}`
  return {
    tokenId: response.tokenId,
    hmac: response.hmac,
    owner: ownerPrincipal,
    tokenRequester: response.tokenRequesterPrincipalType ? `${response.tokenRequesterPrincipalType}:${response.tokenRequesterPrincipalName}` : ownerPrincipal,
    renewers: options.renewers ?? [],
    issueTimestamp: Number(response.issueTimestampMs),
    expiryTimestamp: Number(response.expiryTimestampMs),
    maxTimestamp: Number(response.maxTimestampMs),
  }
}

/** Moves a token's expiry forward; answers the new expiry timestamp (ms). */
export async function renewDelegationToken(ctx: AdminContext, hmac: Buffer, options: RenewDelegationTokenOptions = {}): Promise<number> {
  const response = await send(ctx, { kind: 'any' }, ApiKeys.RenewDelegationToken, { hmac, renewPeriodMs: BigInt(options.renewPeriodMs ?? -1) }, { signal: options.signal })
  throwIfError(response.errorCode, 'RenewDelegationToken')
  return Number(response.expiryTimestampMs)
}

/** Expires a token (immediately by default); answers the expiry timestamp (ms) it now has. */
export async function expireDelegationToken(ctx: AdminContext, hmac: Buffer, options: ExpireDelegationTokenOptions = {}): Promise<number> {
  const response = await send(
    ctx,
    { kind: 'any' },
    ApiKeys.ExpireDelegationToken,
    { hmac, expiryTimePeriodMs: BigInt(options.expiryTimePeriodMs ?? -1) },
    { signal: options.signal },
  )
  throwIfError(response.errorCode, 'ExpireDelegationToken')
  return Number(response.expiryTimestampMs)
}

export async function describeDelegationTokens(ctx: AdminContext, options: DescribeDelegationTokensOptions = {}): Promise<DelegationToken[]> {
  const response = await send(
    ctx,
    { kind: 'any' },
    ApiKeys.DescribeDelegationToken,
    { owners: options.owners ? options.owners.map(splitPrincipal) : null },
    { signal: options.signal },
  )
  throwIfError(response.errorCode, 'DescribeDelegationToken')
  return response.tokens.map((t) => {
    const owner = `${t.principalType}:${t.principalName}`
    return {
      tokenId: t.tokenId,
      hmac: t.hmac,
      owner,
      tokenRequester: t.tokenRequesterPrincipalType ? `${t.tokenRequesterPrincipalType}:${t.tokenRequesterPrincipalName}` : owner,
      renewers: t.renewers.map((r) => `${r.principalType}:${r.principalName}`),
      issueTimestamp: Number(t.issueTimestamp),
      expiryTimestamp: Number(t.expiryTimestamp),
      maxTimestamp: Number(t.maxTimestamp),
    }
  })
}
