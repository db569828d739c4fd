/** The command table: each command's options, sub-commands and what runs it (help and completion read it too). */
import { cluster, CLUSTER_OPTIONS, groups, GROUPS_OPTIONS, offsets, OFFSETS_OPTIONS, topics, TOPICS_OPTIONS } from './admin-commands.js'
import { consume, CONSUME_OPTIONS } from './consume.js'
import type { CommandContext } from './context.js'
import type { ExitCode } from './errors.js'
import type { OptionSpec } from './options.js'
import { produce, PRODUCE_OPTIONS } from './produce.js'
import { acls, ACLS_OPTIONS, quotas, QUOTAS_OPTIONS, users, USERS_OPTIONS } from './security-commands.js'

export interface CommandSpec {
  options: OptionSpec
  /** When set, the first positional argument names one of these (`topics list`). */
  subcommands?: readonly string[]
  /** What the positional arguments are, for shell completion: topic names, group ids, or nothing known. */
  completes?: 'topics' | 'groups'
  run(ctx: CommandContext, sub: string | undefined): Promise<ExitCode>
}

export const COMMANDS: Record<string, CommandSpec | undefined> = {
  produce: { options: PRODUCE_OPTIONS, completes: 'topics', run: produce },
  consume: { options: CONSUME_OPTIONS, completes: 'topics', run: consume },
  topics: { options: TOPICS_OPTIONS, subcommands: ['list', 'describe', 'create', 'delete', 'alter-config', 'add-partitions'], completes: 'topics', run: topics },
  groups: { options: GROUPS_OPTIONS, subcommands: ['list', 'describe', 'delete', 'reset-offsets'], completes: 'groups', run: groups },
  offsets: { options: OFFSETS_OPTIONS, completes: 'topics', run: offsets },
  cluster: { options: CLUSTER_OPTIONS, run: cluster },
  acls: { options: ACLS_OPTIONS, subcommands: ['list', 'create', 'delete'], run: acls },
  quotas: { options: QUOTAS_OPTIONS, subcommands: ['describe', 'alter'], run: quotas },
  users: { options: USERS_OPTIONS, subcommands: ['describe', 'upsert', 'delete'], run: users },
}
