/**
 * The admin commands: topics, groups, offsets, cluster. Each is one or two admin calls and a table (or `--json`
 * for machines). Per-item errors become the command's one-line failure, so a script sees exit 1 and the Kafka name.
 */
import type { Kafka } from '../index.js'
import { type CommandContext, requirePositionals, throwItemErrors, withAdmin } from './context.js'
import { CliError, EXIT, type ExitCode, UsageError } from './errors.js'
import { intOption, listOption, type OptionSpec, stringOption } from './options.js'
import { table, toJson } from './output.js'
import { checkTopics } from './produce.js'

export const TOPICS_OPTIONS = {
  json: { type: 'boolean' },
  internal: { type: 'boolean' },
  partitions: { type: 'string' },
  'replication-factor': { type: 'string' },
  set: { type: 'string', multiple: true },
  delete: { type: 'string', multiple: true },
  count: { type: 'string' },
} as const satisfies OptionSpec
// --config is the connection's config file; topic configs at creation go through --set (as for alter-config).

export const GROUPS_OPTIONS = {
  json: { type: 'boolean' },
  topic: { type: 'string', multiple: true },
  partition: { type: 'string', short: 'p', multiple: true },
  to: { type: 'string' },
  'shift-by': { type: 'string' },
  execute: { type: 'boolean' },
} as const satisfies OptionSpec
export const OFFSETS_OPTIONS = { json: { type: 'boolean' }, time: { type: 'string' }, partition: { type: 'string', short: 'p', multiple: true } } as const satisfies OptionSpec
export const CLUSTER_OPTIONS = { json: { type: 'boolean' } } as const satisfies OptionSpec

function keyValues(ctx: CommandContext, flag: string): Record<string, string> {
  const out: Record<string, string> = {}
  for (const raw of listOption(ctx.values, flag)) {
    const eq = raw.indexOf('=')
    if (eq <= 0) throw new UsageError(`${ctx.name}: --${flag} '${raw}' is not name=value`, `e.g. --${flag} retention.ms=86400000`)
    out[raw.slice(0, eq)] = raw.slice(eq + 1)
  }
  return out
}

interface ShownConfig {
  name: string
  value: string | null
  /** Where the value comes from: `dynamic-topic` (set on the topic), or a broker-wide setting. */
  source: string
  sensitive: boolean
}

/**
 * The configs of each topic that are not Kafka's built-in default: the topic's own overrides and what the
 * brokers set for every topic — both change how the topic behaves, so both are shown, with where they come from.
 */
async function nonDefaultConfigs(admin: ReturnType<Kafka['admin']>, names: string[]): Promise<Map<string, ShownConfig[]>> {
  const results = await admin.describeConfigs(names.map((name) => ({ type: 'topic' as const, name })))
  const out = new Map<string, ShownConfig[]>()
  for (const r of throwItemErrors((c) => `describe configs of '${c.name}'`, results)) {
    const shown = r.configs
      .filter((c) => c.source !== 'default')
      .map((c) => ({ name: c.name, value: c.value, source: c.source, sensitive: c.isSensitive }))
      .sort((a, b) => a.name.localeCompare(b.name))
    out.set(r.name, shown)
  }
  return out
}

export async function topics(ctx: CommandContext, sub: string | undefined): Promise<ExitCode> {
  const json = ctx.values.json === true
  switch (sub) {
    case 'list': {
      requirePositionals(ctx, 0, '')
      return withAdmin(ctx, 'list topics', async (admin) => {
        const listed = await admin.listTopics({ includeInternal: ctx.values.internal === true })
        await ctx.out.write(json ? toJson(listed) + '\n' : listed.map((t) => `${t.name}\n`).join(''))
      })
    }
    case 'describe': {
      const names = requirePositionals(ctx, 1, 'the topic', Number.POSITIVE_INFINITY)
      return withAdmin(ctx, `describe ${names.join(', ')}`, async (admin) => {
        const described = throwItemErrors((d) => `describe topic '${d.name}'`, await admin.describeTopics(names))
        const configs = await nonDefaultConfigs(admin, names)
        if (json) return ctx.out.write(toJson(described.map((d) => ({ ...d, configs: configs.get(d.name) ?? [] }))) + '\n')
        const rows = described.flatMap((d) => d.partitions.map((p) => [d.name, p.partition, p.leader, p.replicas.join(','), p.isr.join(',')]))
        const configRows = described.flatMap((d) => (configs.get(d.name) ?? []).map((c) => [d.name, c.name, c.sensitive ? '(sensitive)' : c.value, c.source]))
        await ctx.out.write(table(['TOPIC', 'PARTITION', 'LEADER', 'REPLICAS', 'ISR'], rows) + (configRows.length > 0 ? '\n' + table(['TOPIC', 'CONFIG', 'VALUE', 'SOURCE'], configRows) : ''))
      })
    }
    case 'create': {
      const [name] = requirePositionals(ctx, 1, 'the topic')
      const numPartitions = intOption(ctx.values, 'partitions', ctx.name, 1)
      const replicationFactor = intOption(ctx.values, 'replication-factor', ctx.name, 1)
      const configs = keyValues(ctx, 'set')
      return withAdmin(ctx, `create topic '${name}'`, async (admin) => {
        const [created] = throwItemErrors(() => `create topic '${name}'`, await admin.createTopics([{ name: name!, numPartitions, replicationFactor, configs }]))
        await ctx.out.write(json ? toJson(created) + '\n' : `created ${name} (${created!.numPartitions} partitions, replication factor ${created!.replicationFactor})\n`)
      })
    }
    case 'delete': {
      const names = requirePositionals(ctx, 1, 'the topic', Number.POSITIVE_INFINITY)
      return withAdmin(ctx, `delete ${names.join(', ')}`, async (admin) => {
        throwItemErrors((r) => `delete topic '${r.name}'`, await admin.deleteTopics(names))
        if (!json) await ctx.out.write(names.map((n) => `deleted ${n}\n`).join(''))
      })
    }
    case 'alter-config': {
      const [name] = requirePositionals(ctx, 1, 'the topic')
      const set = keyValues(ctx, 'set')
      const remove = listOption(ctx.values, 'delete')
      if (Object.keys(set).length === 0 && remove.length === 0) throw new UsageError('topics alter-config: nothing to change', 'pass --set name=value and/or --delete name')
      return withAdmin(ctx, `alter configs of '${name}'`, async (admin) => {
        throwItemErrors(() => `alter configs of '${name}'`, await admin.incrementalAlterConfigs([{ type: 'topic', name: name!, set, delete: remove }]))
        if (!json) await ctx.out.write(`altered ${name}\n`)
      })
    }
    case 'add-partitions': {
      const [name] = requirePositionals(ctx, 1, 'the topic')
      const count = intOption(ctx.values, 'count', ctx.name, 1)
      if (count === undefined) throw new UsageError('topics add-partitions: missing --count <total partitions>')
      return withAdmin(ctx, `add partitions to '${name}'`, async (admin) => {
        throwItemErrors(() => `add partitions to '${name}'`, await admin.createPartitions([{ name: name!, count }]))
        if (!json) await ctx.out.write(`${name} now has ${count} partitions\n`)
      })
    }
    default:
      throw new UsageError(sub ? `topics: unknown sub-command '${sub}'` : 'topics: missing the sub-command', 'one of list, describe, create, delete, alter-config, add-partitions (`samsa topics --help`)')
  }
}

/** One row of `groups describe`: what the group committed, where the partition ends, the difference. */
export interface GroupPartitionLag {
  topic: string
  partition: number
  committed: bigint | null
  end: bigint
  lag: bigint | null
  memberId: string | null
  clientId: string | null
}

export async function groups(ctx: CommandContext, sub: string | undefined): Promise<ExitCode> {
  const json = ctx.values.json === true
  switch (sub) {
    case 'list': {
      requirePositionals(ctx, 0, '')
      return withAdmin(ctx, 'list groups', async (admin) => {
        const listed = (await admin.listGroups()).sort((a, b) => a.groupId.localeCompare(b.groupId))
        await ctx.out.write(json ? toJson(listed) + '\n' : table(['GROUP', 'TYPE', 'STATE'], listed.map((g) => [g.groupId, g.type ?? g.protocolType, g.state])))
      })
    }
    case 'describe': {
      const [groupId] = requirePositionals(ctx, 1, 'the group')
      return withAdmin(ctx, `describe group '${groupId}'`, async (admin) => {
        const [description] = await admin.describeGroups([groupId!])
        if (description!.error) throw description!.error
        if (description!.state === 'Dead') throw new CliError(`describe group '${groupId}'`, 'GROUP_ID_NOT_FOUND', 'check the group id with `samsa groups list`')
        const [committed] = await admin.listConsumerGroupOffsets([groupId!])
        if (committed!.error) throw committed!.error
        const owners = new Map<string, { memberId: string; clientId: string }>()
        for (const m of description!.members) for (const a of m.assignment) for (const p of a.partitions) owners.set(`${a.topic}\u0000${p}`, { memberId: m.memberId, clientId: m.clientId })
        const rows = new Map<string, { topic: string; partition: number; committed: bigint | null }>()
        for (const o of committed!.offsets) rows.set(`${o.topic}\u0000${o.partition}`, { topic: o.topic, partition: o.partition, committed: o.offset < 0n ? null : o.offset })
        for (const [k] of owners) if (!rows.has(k)) rows.set(k, { topic: k.split('\u0000')[0]!, partition: Number(k.split('\u0000')[1]), committed: null })
        const sorted = [...rows.values()].sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition)
        const ends = sorted.length === 0 ? [] : await admin.listOffsets(sorted.map((r) => ({ topic: r.topic, partition: r.partition, spec: 'latest' as const })))
        const partitions: GroupPartitionLag[] = sorted.map((r, i) => {
          const end = ends[i]!
          if (end.error) throw end.error
          const owner = owners.get(`${r.topic}\u0000${r.partition}`)
          return { ...r, end: end.offset, lag: r.committed === null ? null : end.offset - r.committed, memberId: owner?.memberId ?? null, clientId: owner?.clientId ?? null }
        })
        const d = description!
        if (json) {
          const members = d.members.map((m) => ({ memberId: m.memberId, clientId: m.clientId, host: m.clientHost, groupInstanceId: m.groupInstanceId, assignment: m.assignment }))
          return ctx.out.write(toJson({ groupId: d.groupId, type: d.type, state: d.state, assignor: d.assignor, members, partitions }) + '\n')
        }
        const totalLag = partitions.reduce((sum, p) => sum + (p.lag ?? 0n), 0n)
        await ctx.out.write(`group ${d.groupId}: ${d.type}, ${d.state}, ${d.members.length} member(s), total lag ${totalLag}\n`)
        await ctx.out.write(table(['TOPIC', 'PARTITION', 'COMMITTED', 'END', 'LAG', 'CLIENT', 'MEMBER'], partitions.map((p) => [p.topic, p.partition, p.committed, p.end, p.lag, p.clientId, p.memberId])))
      })
    }
    case 'delete': {
      const ids = requirePositionals(ctx, 1, 'the group', Number.POSITIVE_INFINITY)
      return withAdmin(ctx, `delete ${ids.join(', ')}`, async (admin) => {
        throwItemErrors((r) => `delete group '${r.groupId}'`, await admin.deleteGroups(ids))
        if (!json) await ctx.out.write(ids.map((n) => `deleted ${n}\n`).join(''))
      })
    }
    case 'reset-offsets':
      return resetOffsets(ctx)
    default:
      throw new UsageError(sub ? `groups: unknown sub-command '${sub}'` : 'groups: missing the sub-command', 'one of list, describe, delete, reset-offsets (`samsa groups --help`)')
  }
}

export async function offsets(ctx: CommandContext): Promise<ExitCode> {
  const [topic] = requirePositionals(ctx, 1, 'the topic')
  const time = stringOption(ctx.values, 'time')
  if (time !== undefined && time !== 'earliest' && time !== 'latest' && !/^\d+$/.test(time)) throw new UsageError(`offsets: --time '${time}' is not earliest, latest or a timestamp in ms`)
  const chosen = listOption(ctx.values, 'partition').map((p) => {
    if (!/^\d+$/.test(p)) throw new UsageError(`offsets: -p '${p}' is not a partition number`)
    return Number(p)
  })
  const json = ctx.values.json === true
  return withAdmin(ctx, `list offsets of ${topic}`, async (admin, kafka) => {
    const n = (await checkTopics(kafka, [topic!], `list offsets of ${topic}`)).get(topic!)!
    const partitions = chosen.length > 0 ? chosen : Array.from({ length: n }, (_, i) => i)
    if (time === undefined) {
      const results = await admin.listOffsets(partitions.flatMap((partition) => [{ topic: topic!, partition, spec: 'earliest' as const }, { topic: topic!, partition, spec: 'latest' as const }]))
      const rows = partitions.map((partition, i) => {
        const [earliest, latest] = [results[2 * i]!, results[2 * i + 1]!]
        if (earliest.error) throw earliest.error
        if (latest.error) throw latest.error
        return { topic: topic!, partition, earliest: earliest.offset, latest: latest.offset }
      })
      return ctx.out.write(json ? toJson(rows) + '\n' : table(['PARTITION', 'EARLIEST', 'LATEST'], rows.map((r) => [r.partition, r.earliest, r.latest])))
    }
    const spec = time === 'earliest' || time === 'latest' ? time : { timestamp: Number(time) }
    const results = await admin.listOffsets(partitions.map((partition) => ({ topic: topic!, partition, spec })))
    const rows = results.map((r) => {
      if (r.error) throw r.error
      return { topic: r.topic, partition: r.partition, offset: r.offset, timestamp: r.timestamp }
    })
    await ctx.out.write(json ? toJson(rows) + '\n' : table(['PARTITION', 'OFFSET', 'TIMESTAMP'], rows.map((r) => [r.partition, r.offset, r.timestamp])))
  })
}

export async function cluster(ctx: CommandContext): Promise<ExitCode> {
  requirePositionals(ctx, 0, '')
  const json = ctx.values.json === true
  return withAdmin(ctx, 'describe the cluster', async (admin, kafka) => {
    const described = await admin.describeCluster()
    const features = await admin.describeFeatures()
    // The negotiated versions live on a connection; the names come from the protocol table (loaded only here).
    const connection = await kafka.cluster.anyConnection()
    const { apis } = await import('../protocol/public.js')
    const apiVersions: Array<{ apiKey: number; name: string; minVersion: number; maxVersion: number; used: number | null }> = []
    for (let apiKey = 0; apiKey < 200; apiKey++) {
      const range = connection.versions.brokerRange(apiKey)
      if (range) apiVersions.push({ apiKey, name: apis[apiKey]?.name ?? `api-${apiKey}`, ...range, used: connection.versions.get(apiKey) })
    }
    const featureRows = Object.keys({ ...features.supported, ...features.finalized })
      .sort()
      .map((name) => ({ name, finalized: features.finalized[name]?.maxVersion ?? null, supportedMin: features.supported[name]?.minVersion ?? null, supportedMax: features.supported[name]?.maxVersion ?? null }))
    if (json) {
      return ctx.out.write(toJson({ clusterId: described.clusterId, controllerId: described.controllerId, brokers: described.nodes, features: featureRows, apiVersions }) + '\n')
    }
    await ctx.out.write(`cluster ${described.clusterId}, controller ${described.controllerId}\n\n`)
    await ctx.out.write(table(['BROKER', 'HOST', 'PORT', 'RACK'], described.nodes.map((b) => [b.nodeId, b.host, b.port, b.rack])) + '\n')
    await ctx.out.write(table(['FEATURE', 'FINALIZED', 'SUPPORTED'], featureRows.map((f) => [f.name, f.finalized, f.supportedMin === null ? null : `${f.supportedMin}-${f.supportedMax}`])) + '\n')
    await ctx.out.write(table(['API', 'KEY', 'BROKER VERSIONS', 'USED'], apiVersions.map((a) => [a.name, a.apiKey, `${a.minVersion}-${a.maxVersion}`, a.used])))
  })
}

type ResetTarget = { kind: 'earliest' } | { kind: 'latest' } | { kind: 'offset'; offset: bigint } | { kind: 'time'; ms: number } | { kind: 'shift'; by: bigint }

/**
 * `groups reset-offsets`: the offsets the group would get, printed first; committed only with --execute (as
 * kafka-consumer-groups.sh, a dry run unless asked). Targets outside a partition's range are clamped to it, so
 * the group never commits an offset the log does not have.
 */
async function resetOffsets(ctx: CommandContext): Promise<ExitCode> {
  const [groupId] = requirePositionals(ctx, 1, 'the group')
  const topicNames = listOption(ctx.values, 'topic')
  if (topicNames.length === 0) throw new UsageError('groups reset-offsets: missing --topic', 'name the topics whose offsets move: --topic orders (repeatable)')
  const chosen = listOption(ctx.values, 'partition').map((p) => {
    if (!/^\d+$/.test(p)) throw new UsageError(`groups reset-offsets: -p '${p}' is not a partition number`)
    return Number(p)
  })
  const to = stringOption(ctx.values, 'to')
  const shift = stringOption(ctx.values, 'shift-by')
  if ((to === undefined) === (shift === undefined)) throw new UsageError('groups reset-offsets: give one of --to and --shift-by', 'e.g. --to earliest, --to 42, --to @1767225600000, --shift-by -10')
  let target: ResetTarget
  if (shift !== undefined) {
    if (!/^-?\d+$/.test(shift)) throw new UsageError(`groups reset-offsets: --shift-by '${shift}' is not an integer`)
    target = { kind: 'shift', by: BigInt(shift) }
  } else if (to === 'earliest' || to === 'latest') target = { kind: to }
  else if (/^\d+$/.test(to!)) target = { kind: 'offset', offset: BigInt(to!) }
  else if (/^@\d+$/.test(to!)) target = { kind: 'time', ms: Number(to!.slice(1)) }
  else throw new UsageError(`groups reset-offsets: --to '${to}' is not earliest, latest, <offset> or @<timestamp ms>`)
  const execute = ctx.values.execute === true
  const json = ctx.values.json === true
  const what = `reset offsets of group '${groupId}'`
  return withAdmin(ctx, what, async (admin, kafka) => {
    const counts = await checkTopics(kafka, topicNames, what)
    const partitions = topicNames.flatMap((topic) => {
      const n = counts.get(topic)!
      const ps = chosen.length > 0 ? chosen : Array.from({ length: n }, (_, i) => i)
      for (const p of ps) if (p >= n) throw new UsageError(`groups reset-offsets: partition ${p} of '${topic}' does not exist`, `the topic has partitions 0–${n - 1}`)
      return ps.map((partition) => ({ topic, partition }))
    })
    if (execute) {
      const [d] = await admin.describeGroups([groupId!])
      if (d!.error) throw d!.error
      if (d!.members.length > 0) throw new CliError(what, 'NON_EMPTY_GROUP', `the group has ${d!.members.length} active member(s); stop them first (\`samsa groups describe ${groupId}\`)`)
    }
    const [committed] = await admin.listConsumerGroupOffsets([{ groupId: groupId!, partitions }])
    if (committed!.error) throw committed!.error
    const current = new Map(committed!.offsets.map((o) => [`${o.topic}\u0000${o.partition}`, o.offset < 0n ? null : o.offset]))
    const specs = partitions.flatMap((tp) => [
      { ...tp, spec: 'earliest' as const },
      { ...tp, spec: 'latest' as const },
      ...(target.kind === 'time' ? [{ ...tp, spec: { timestamp: target.ms } }] : []),
    ])
    const listed = await admin.listOffsets(specs)
    for (const r of listed) if (r.error) throw r.error
    const per = target.kind === 'time' ? 3 : 2
    const plan = partitions.map((tp, i) => {
      const earliest = listed[i * per]!.offset
      const latest = listed[i * per + 1]!.offset
      const now = current.get(`${tp.topic}\u0000${tp.partition}`) ?? null
      let next: bigint
      switch (target.kind) {
        case 'earliest':
          next = earliest
          break
        case 'latest':
          next = latest
          break
        case 'offset':
          next = target.offset
          break
        case 'time': {
          const found = listed[i * per + 2]!.offset
          next = found < 0n ? latest : found
          break
        }
        case 'shift':
          if (now === null) throw new CliError(`${what}: ${tp.topic}/${tp.partition}`, 'NO_COMMITTED_OFFSET', 'nothing is committed to shift from; use --to')
          next = now + target.by
          break
      }
      if (next < earliest) next = earliest
      if (next > latest) next = latest
      return { ...tp, current: now, next }
    })
    if (execute) {
      throwItemErrors((r) => `${what}: ${r.topic}/${r.partition}`, await admin.alterConsumerGroupOffsets(groupId!, plan.map((p) => ({ topic: p.topic, partition: p.partition, offset: p.next }))))
    }
    if (json) await ctx.out.write(toJson({ groupId, executed: execute, partitions: plan.map((p) => ({ topic: p.topic, partition: p.partition, current: p.current, new: p.next })) }) + '\n')
    else await ctx.out.write(table(['TOPIC', 'PARTITION', 'CURRENT', 'NEW'], plan.map((p) => [p.topic, p.partition, p.current, p.next])))
    if (!execute) ctx.stderr.write('samsa: dry run, nothing committed; add --execute to commit these offsets\n')
  })
}
