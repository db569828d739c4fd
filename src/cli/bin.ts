#!/usr/bin/env node
// The `samsa` executable (package.json "bin"). Sets the exit code instead of calling process.exit, so stdout
// finishes draining into a pipe before the process ends. A reader of stdout that goes away (`… | head`) is
// handled by Output (EPIPE): the command stops cleanly — a group member commits what was written and leaves
// the group — and exits 0, as other Unix tools do on SIGPIPE.
import { main } from './main.js'

// Output (used by every command) handles EPIPE; this covers the help text, written before there is one.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error
})

void main(process.argv.slice(2)).then((code) => {
  process.exitCode = code
})
