/**
 * Writing results: stdout with backpressure (a consumer piped into a slow reader must not buffer the topic in
 * memory), aligned tables for people, and the progress line that only a terminal sees.
 */
import { once } from 'node:events'

/**
 * The reader of stdout went away (EPIPE: `samsa consume … | head`). Not a failure: the command stops as if asked
 * to, and exits 0 like other Unix tools do on SIGPIPE.
 */
export class OutputClosed extends Error {
  constructor() {
    super('the reader of stdout went away')
    this.name = 'OutputClosed'
  }
}

const isEpipe = (error: unknown): boolean => (error as NodeJS.ErrnoException | null)?.code === 'EPIPE'

export class Output {
  #closed = false
  readonly #controller = new AbortController()

  constructor(readonly stream: NodeJS.WritableStream) {
    // Without a listener an EPIPE would be thrown from the event loop and end the process before a group
    // member could commit and leave.
    stream.on('error', (error: unknown) => {
      if (isEpipe(error)) this.#close()
    })
  }

  /** Aborted when the reader goes away, so a command waiting for records can stop at once. */
  get closedSignal(): AbortSignal {
    return this.#controller.signal
  }

  #close(): void {
    this.#closed = true
    this.#controller.abort()
  }

  /**
   * Resolves once the stream has taken the chunk and can take more (awaiting it bounds what sits in memory);
   * rejects with OutputClosed when the reader has gone, so the caller counts the chunk as not written.
   */
  async write(chunk: string | Buffer): Promise<void> {
    if (this.#closed) throw new OutputClosed()
    // The write callback is the only place a failed write is reported for certain: on Linux a pipe write is
    // synchronous, and its EPIPE arrives here rather than as a false return.
    let failed: unknown = null
    const accepted = this.stream.write(chunk, (error?: Error | null) => {
      if (error) failed = error
      if (isEpipe(error)) this.#close()
    })
    if (!accepted) {
      try {
        await once(this.stream, 'drain', { signal: this.#controller.signal })
      } catch (error) {
        if (this.#closed || isEpipe(error)) throw new OutputClosed()
        throw error
      }
    } else await new Promise<void>((resolve) => setImmediate(resolve))
    if (failed !== null) throw isEpipe(failed) ? new OutputClosed() : failed
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
