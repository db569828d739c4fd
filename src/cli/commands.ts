/** The command table: each command's options and what runs it. */
import { cluster, CLUSTER_OPTIONS, groups, GROUPS_OPTIONS, offsets, OFFSETS_OPTIONS, topics, TOPICS_OPTIONS } from './admin-commands.js'
import { consume, CONSUME_OPTIONS } from './consume.js'
import type { CommandContext } from './context.js'
import type { ExitCode } from './errors.js'
import type { OptionSpec } from './options.js'
import { produce, PRODUCE_OPTIONS } from './produce.js'

export interface CommandSpec {
  options: OptionSpec
  /** The first positional argument names a sub-command (`topics list`). */
  subcommands?: boolean
  run(ctx: CommandContext, sub: string | undefined): Promise<ExitCode>
}

export const COMMANDS: Record<string, CommandSpec | undefined> = {
  produce: { options: PRODUCE_OPTIONS, run: produce },
  consume: { options: CONSUME_OPTIONS, run: consume },
  topics: { options: TOPICS_OPTIONS, subcommands: true, run: topics },
  groups: { options: GROUPS_OPTIONS, subcommands: true, run: groups },
  offsets: { options: OFFSETS_OPTIONS, run: offsets },
  cluster: { options: CLUSTER_OPTIONS, run: cluster },
}
