#!/usr/bin/env node
// The `samsa` executable (package.json "bin"). Sets the exit code instead of calling process.exit, so stdout
// finishes draining into a pipe before the process ends.
import { main } from './main.js'

process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  // The reader went away (`samsa consume … | head`): that ends the command quietly, as for other Unix tools.
  if (error.code === 'EPIPE') process.exit(0)
  throw error
})

void main(process.argv.slice(2)).then((code) => {
  process.exitCode = code
})
