// Command-line options for the benchmark scripts: `--name value` pairs and bare `--flag`s, nothing fancier.

/** The value after `--name`, or `fallback` when the option is absent. */
export function option(name, fallback, argv = process.argv) {
  const i = argv.indexOf(`--${name}`)
  return i === -1 || i + 1 >= argv.length ? fallback : argv[i + 1]
}

export function numberOption(name, fallback, argv = process.argv) {
  const raw = option(name, undefined, argv)
  if (raw === undefined) return fallback
  const value = Number(raw)
  if (!Number.isFinite(value)) throw new Error(`--${name} expects a number, got '${raw}'`)
  return value
}

/** A comma-separated list option. */
export function listOption(name, fallback, argv = process.argv) {
  const raw = option(name, undefined, argv)
  return raw === undefined ? fallback : raw.split(',').map((s) => s.trim()).filter(Boolean)
}

export function flag(name, argv = process.argv) {
  return argv.includes(`--${name}`)
}
