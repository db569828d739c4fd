/**
 * `acls`, `quotas` and `users` (SCRAM credentials): the admin client's security calls with flags named as in
 * kafka-acls.sh / kafka-configs.sh. A SCRAM password is read from the environment (or a flag), never printed,
 * and only its salted form leaves the process (the admin client derives it).
 */
import type { AclBinding, AclBindingFilter, AclOperation, AclPatternType, AclPermission, AclResourceType, QuotaEntity, QuotaFilterComponent, ScramMechanismName } from '../index.js'
import { addSecret, type CommandContext, requirePositionals, throwItemErrors, withAdmin } from './context.js'
import { EXIT, type ExitCode, UsageError } from './errors.js'
import { intOption, listOption, type OptionSpec, stringOption } from './options.js'
import { table, toJson } from './output.js'

export const ACLS_OPTIONS = {
  json: { type: 'boolean' },
  'resource-type': { type: 'string' },
  'resource-name': { type: 'string' },
  pattern: { type: 'string' },
  principal: { type: 'string' },
  host: { type: 'string' },
  operation: { type: 'string', multiple: true },
  permission: { type: 'string' },
} as const satisfies OptionSpec

export const QUOTAS_OPTIONS = {
  json: { type: 'boolean' },
  entity: { type: 'string', multiple: true },
  default: { type: 'string', multiple: true },
  set: { type: 'string', multiple: true },
  delete: { type: 'string', multiple: true },
} as const satisfies OptionSpec

export const USERS_OPTIONS = {
  json: { type: 'boolean' },
  mechanism: { type: 'string' },
  iterations: { type: 'string' },
  password: { type: 'string' },
} as const satisfies OptionSpec

const RESOURCE_TYPES: readonly AclResourceType[] = ['topic', 'group', 'cluster', 'transactional-id', 'delegation-token', 'user', 'any']
const PATTERNS: readonly AclPatternType[] = ['literal', 'prefixed', 'match', 'any']
const PERMISSIONS: readonly AclPermission[] = ['allow', 'deny', 'any']
const OPERATIONS: readonly AclOperation[] = ['any', 'all', 'read', 'write', 'create', 'delete', 'alter', 'describe', 'cluster-action', 'describe-configs', 'alter-configs', 'idempotent-write', 'create-tokens', 'describe-tokens', 'two-phase-commit']

function oneOf<T extends string>(ctx: CommandContext, flag: string, allowed: readonly T[]): T | undefined {
  const raw = stringOption(ctx.values, flag)
  if (raw === undefined) return undefined
  const value = raw.toLowerCase().replace(/_/g, '-') as T
  if (!allowed.includes(value)) throw new UsageError(`${ctx.name}: --${flag} '${raw}' is not one of ${allowed.join(', ')}`)
  return value
}

function operations(ctx: CommandContext): AclOperation[] {
  return listOption(ctx.values, 'operation').map((raw) => {
    const op = raw.toLowerCase().replace(/_/g, '-') as AclOperation
    if (!OPERATIONS.includes(op)) throw new UsageError(`${ctx.name}: --operation '${raw}' is not one of ${OPERATIONS.join(', ')}`)
    return op
  })
}

function aclRows(acls: Array<Required<AclBinding>>): string {
  return table(
    ['RESOURCE', 'NAME', 'PATTERN', 'PRINCIPAL', 'HOST', 'OPERATION', 'PERMISSION'],
    acls.map((a) => [a.resourceType, a.resourceName, a.patternType, a.principal, a.host, a.operation, a.permission]),
  )
}

export async function acls(ctx: CommandContext, sub: string | undefined): Promise<ExitCode> {
  requirePositionals(ctx, 0, '')
  const json = ctx.values.json === true
  const resourceType = oneOf(ctx, 'resource-type', RESOURCE_TYPES)
  const resourceName = stringOption(ctx.values, 'resource-name') ?? (resourceType === 'cluster' ? 'kafka-cluster' : undefined)
  const patternType = oneOf(ctx, 'pattern', PATTERNS)
  const principal = stringOption(ctx.values, 'principal')
  const host = stringOption(ctx.values, 'host')
  const permission = oneOf(ctx, 'permission', PERMISSIONS)
  const ops = operations(ctx)
  const filter = (operation?: AclOperation): AclBindingFilter => ({ resourceType, resourceName, patternType, principal, host, operation, permission })
  switch (sub) {
    case 'list':
      return withAdmin(ctx, 'list ACLs', async (admin) => {
        const found = (await Promise.all((ops.length > 0 ? ops : [undefined]).map((op) => admin.describeAcls(filter(op))))).flat()
        await ctx.out.write(json ? toJson(found) + '\n' : aclRows(found))
      })
    case 'create': {
      if (!resourceType || resourceType === 'any' || !resourceName || !principal || ops.length === 0) {
        throw new UsageError('acls create: needs --resource-type, --resource-name, --principal and --operation', 'e.g. --resource-type topic --resource-name orders --principal User:alice --operation read')
      }
      const bindings: AclBinding[] = ops.map((operation) => ({ resourceType, resourceName, patternType: patternType ?? 'literal', principal, host: host ?? '*', operation, permission: permission ?? 'allow' }))
      return withAdmin(ctx, 'create ACLs', async (admin) => {
        throwItemErrors((r) => `create ACL ${r.binding.operation} on ${r.binding.resourceType} '${r.binding.resourceName}'`, await admin.createAcls(bindings))
        if (!json) await ctx.out.write(`created ${bindings.length} ACL(s)\n`)
      })
    }
    case 'delete': {
      // An empty filter would delete every ACL of the cluster: a resource type is the least a delete must name.
      if (!resourceType) throw new UsageError('acls delete: needs at least --resource-type', 'narrow it further with --resource-name, --principal, --operation')
      return withAdmin(ctx, 'delete ACLs', async (admin) => {
        const results = throwItemErrors(() => 'delete ACLs', await admin.deleteAcls((ops.length > 0 ? ops : [undefined]).map((op) => filter(op))))
        const deleted = results.flatMap((r) => r.deleted.map((d) => d.binding))
        await ctx.out.write(json ? toJson(deleted) + '\n' : `deleted ${deleted.length} ACL(s)\n${deleted.length > 0 ? aclRows(deleted) : ''}`)
      })
    }
    default:
      throw new UsageError(sub ? `acls: unknown sub-command '${sub}'` : 'acls: missing the sub-command', 'one of list, create, delete (`samsa acls --help`)')
  }
}

function quotaEntity(ctx: CommandContext): { entity: QuotaEntity; filter: QuotaFilterComponent[] } {
  const entity: QuotaEntity = {}
  const filter: QuotaFilterComponent[] = []
  for (const raw of listOption(ctx.values, 'entity')) {
    const eq = raw.indexOf('=')
    const type = eq < 0 ? raw : raw.slice(0, eq)
    if (eq < 0) filter.push({ entityType: type })
    else {
      entity[type] = raw.slice(eq + 1)
      filter.push({ entityType: type, match: raw.slice(eq + 1) })
    }
  }
  for (const type of listOption(ctx.values, 'default')) {
    entity[type] = null
    filter.push({ entityType: type, match: null })
  }
  return { entity, filter }
}

export async function quotas(ctx: CommandContext, sub: string | undefined): Promise<ExitCode> {
  requirePositionals(ctx, 0, '')
  const json = ctx.values.json === true
  const { entity, filter } = quotaEntity(ctx)
  const show = (e: QuotaEntity): string => Object.entries(e).map(([k, v]) => `${k}=${v ?? '<default>'}`).join(',')
  switch (sub) {
    case 'describe':
      return withAdmin(ctx, 'describe quotas', async (admin) => {
        const found = await admin.describeClientQuotas(filter)
        if (json) return ctx.out.write(toJson(found) + '\n')
        await ctx.out.write(table(['ENTITY', 'QUOTA', 'VALUE'], found.flatMap((q) => Object.entries(q.values).map(([k, v]) => [show(q.entity), k, v]))))
      })
    case 'alter': {
      if (Object.keys(entity).length === 0) throw new UsageError('quotas alter: needs --entity type=name or --default type', 'e.g. --entity user=alice --set producer_byte_rate=1048576')
      const ops: Record<string, number | null> = {}
      for (const raw of listOption(ctx.values, 'set')) {
        const eq = raw.indexOf('=')
        const value = Number(raw.slice(eq + 1))
        if (eq <= 0 || !Number.isFinite(value)) throw new UsageError(`quotas alter: --set '${raw}' is not name=number`)
        ops[raw.slice(0, eq)] = value
      }
      for (const name of listOption(ctx.values, 'delete')) ops[name] = null
      if (Object.keys(ops).length === 0) throw new UsageError('quotas alter: nothing to change', 'pass --set name=value and/or --delete name')
      return withAdmin(ctx, `alter quotas of ${show(entity)}`, async (admin) => {
        throwItemErrors(() => `alter quotas of ${show(entity)}`, await admin.alterClientQuotas([{ entity, ops }]))
        if (!json) await ctx.out.write(`altered quotas of ${show(entity)}\n`)
      })
    }
    default:
      throw new UsageError(sub ? `quotas: unknown sub-command '${sub}'` : 'quotas: missing the sub-command', 'one of describe, alter (`samsa quotas --help`)')
  }
}

const MECHANISMS: readonly ScramMechanismName[] = ['SCRAM-SHA-256', 'SCRAM-SHA-512']

export async function users(ctx: CommandContext, sub: string | undefined): Promise<ExitCode> {
  const json = ctx.values.json === true
  const mechanismRaw = stringOption(ctx.values, 'mechanism')
  const mechanism = mechanismRaw === undefined ? undefined : (mechanismRaw.toUpperCase() as ScramMechanismName)
  if (mechanism !== undefined && !MECHANISMS.includes(mechanism)) throw new UsageError(`${ctx.name}: --mechanism '${mechanismRaw}' is not SCRAM-SHA-256 or SCRAM-SHA-512`)
  switch (sub) {
    case 'describe': {
      const names = requirePositionals(ctx, 0, '', Number.POSITIVE_INFINITY)
      return withAdmin(ctx, 'describe SCRAM users', async (admin) => {
        const found = throwItemErrors((u) => `describe user '${u.user}'`, await admin.describeUserScramCredentials(names.length > 0 ? names : undefined))
        if (json) return ctx.out.write(toJson(found) + '\n')
        await ctx.out.write(table(['USER', 'MECHANISM', 'ITERATIONS'], found.flatMap((u) => u.credentials.map((c) => [u.user, c.mechanism, c.iterations]))))
      })
    }
    case 'upsert': {
      const [user] = requirePositionals(ctx, 1, 'the user')
      const password = stringOption(ctx.values, 'password') ?? ctx.env.SAMSA_USER_PASSWORD
      if (!password) throw new UsageError('users upsert: no password', 'set SAMSA_USER_PASSWORD (or pass --password)')
      addSecret(ctx, password)
      const iterations = intOption(ctx.values, 'iterations', ctx.name, 4096)
      return withAdmin(ctx, `upsert user '${user}'`, async (admin) => {
        throwItemErrors(() => `upsert user '${user}'`, await admin.alterUserScramCredentials([{ type: 'upsert', user: user!, mechanism: mechanism ?? 'SCRAM-SHA-512', password, iterations }]))
        if (!json) await ctx.out.write(`upserted ${user} (${mechanism ?? 'SCRAM-SHA-512'})\n`)
      })
    }
    case 'delete': {
      const [user] = requirePositionals(ctx, 1, 'the user')
      if (!mechanism) throw new UsageError('users delete: needs --mechanism', 'SCRAM-SHA-256 or SCRAM-SHA-512')
      return withAdmin(ctx, `delete user '${user}'`, async (admin) => {
        throwItemErrors(() => `delete user '${user}'`, await admin.alterUserScramCredentials([{ type: 'delete', user: user!, mechanism }]))
        if (!json) await ctx.out.write(`deleted ${mechanism} credential of ${user}\n`)
      })
    }
    default:
      throw new UsageError(sub ? `users: unknown sub-command '${sub}'` : 'users: missing the sub-command', 'one of describe, upsert, delete (`samsa users --help`)')
  }
}
