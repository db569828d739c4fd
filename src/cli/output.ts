/**
 * Writing results: stdout with backpressure (a consumer piped into a slow reader must not buffer the topic in
 * memory), aligned tables for people, and the progress line that only a terminal sees.
 */
import { once } from 'node:events'

export class Output {
  constructor(readonly stream: NodeJS.WritableStream) {}

  /** Resolves once the stream can take more: awaiting it bounds what sits in memory. */
  async write(chunk: string | Buffer): Promise<void> {
    if (!this.stream.write(chunk)) await once(this.stream, 'drain')
  }

  line(text: string): Promise<void> {
    return this.write(`${text}\n`)
  }
}

/** Columns padded to their widest cell, two spaces apart; the last column is not padded. */
export function table(headers: string[], rows: Array<Array<string | number | bigint | null>>): string {
  const cells = [headers, ...rows.map((r) => r.map((c) => (c === null ? '-' : String(c))))]
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)))
  return cells.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')).join('\n') + '\n'
}

/** JSON with bigints as numbers where exact, else strings (offsets fit in 2^53 in practice). */
export function toJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? (v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(v) : v.toString()) : v))
}

/**
 * A live "records, bytes, rate" line on stderr while a long produce or consume runs, rewritten in place twice a
 * second. Only on a terminal: a pipe or file gets nothing extra, so scripts read stderr for errors alone.
 */
export class Progress {
  readonly #stream: NodeJS.WriteStream
  readonly #verb: string
  readonly #started = Date.now()
  #timer: NodeJS.Timeout | null = null
  #shown = false
  records = 0
  bytes = 0

  constructor(stream: NodeJS.WriteStream, verb: string) {
    this.#stream = stream
    this.#verb = verb
    // Short runs finish before the first line would appear: nothing is drawn for them.
    if (stream.isTTY) this.#timer = setInterval(() => this.#draw(), 500).unref()
  }

  add(records: number, bytes: number): void {
    this.records += records
    this.bytes += bytes
  }

  #draw(): void {
    const seconds = Math.max((Date.now() - this.#started) / 1000, 0.001)
    const rate = Math.round(this.records / seconds)
    const mb = (this.bytes / 1e6).toFixed(1)
    this.#stream.write(`\r\x1b[K${this.#verb} ${this.records} records, ${mb} MB, ${rate} records/s`)
    this.#shown = true
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer)
    this.#timer = null
    if (this.#shown) this.#stream.write('\r\x1b[K')
  }
}
