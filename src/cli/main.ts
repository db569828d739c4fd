/**
 * `samsa` on the command line (bin/samsa → dist/cjs/cli/bin.js → here). The top layer: it may use every client,
 * and nothing imports it. It reaches the clients through the public surface (../index.js) only, because the build
 * folds every other module into one bundle and this folder is compiled beside it (scripts/build.mjs checks that).
 */
import { COMMANDS } from './commands.js'
import { completionScript } from './completion.js'
import type { CommandContext } from './context.js'
import { describeFailure, EXIT, type ExitCode, UsageError } from './errors.js'
import { HELP } from './help.js'
import { parseCommand, splitCommand } from './options.js'
import { Output, OutputClosed } from './output.js'

export interface MainStreams {
  stdin: NodeJS.ReadableStream
  stdout: NodeJS.WritableStream
  stderr: NodeJS.WriteStream
  env: NodeJS.ProcessEnv
}

/** Runs one command line; resolves with the exit code (the caller sets it: output may still be draining). */
export async function main(argv: string[], streams: MainStreams = { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, env: process.env }): Promise<ExitCode> {
  try {
    const { command, rest } = splitCommand(argv)
    if (command === undefined || command === 'help') {
      const topic = command === 'help' ? (rest.find((a) => !a.startsWith('-')) ?? 'main') : 'main'
      const wantsHelp = command === 'help' || rest.includes('--help') || rest.includes('-h')
      streams[wantsHelp ? 'stdout' : 'stderr'].write(`${HELP[topic] ?? HELP.main}\n`)
      return wantsHelp ? EXIT.ok : EXIT.usage
    }
    if (command === 'completion') {
      if (rest.includes('--help') || rest.includes('-h')) {
        streams.stdout.write(`${HELP.completion}\n`)
        return EXIT.ok
      }
      streams.stdout.write(completionScript(rest[0]))
      return EXIT.ok
    }
    const spec = COMMANDS[command]
    if (!spec) throw new UsageError(`unknown command '${command}'`, `commands: ${Object.keys(COMMANDS).join(', ')}, completion (\`samsa --help\`)`)
    const { values, positionals } = parseCommand(rest, spec.options, command)
    if (values.help === true) {
      streams.stdout.write(`${HELP[command]}\n`)
      return EXIT.ok
    }
    const sub = spec.subcommands ? positionals.shift() : undefined
    const ctx: CommandContext = {
      name: sub ? `${command} ${sub}` : command,
      values,
      positionals,
      env: streams.env,
      stdin: streams.stdin,
      out: new Output(streams.stdout),
      stderr: streams.stderr,
    }
    return await spec.run(ctx, sub)
  } catch (error) {
    if (error instanceof OutputClosed) return EXIT.ok
    // Commands report Kafka failures themselves; what reaches here is a usage error or a bug.
    const { line, exitCode } = describeFailure('samsa', error)
    streams.stderr.write(`${line}\n`)
    return exitCode
  }
}
