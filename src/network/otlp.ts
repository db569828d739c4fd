/**
 * The OTLP `MetricsData` protobuf that a KIP-714 PushTelemetry request carries, written by hand for exactly the
 * subset a client pushes: one ResourceMetrics (resource attributes), one ScopeMetrics, and Metrics that are either a
 * Gauge or a Sum of double NumberDataPoints with string attributes.
 *
 * Why not an npm encoder: the OpenTelemetry JS packages that write this message (`@opentelemetry/otlp-transformer`)
 * take the SDK's own metric objects and load protobufjs with the whole generated OTLP schema at import time, for a
 * dozen fields. A protobuf writer for these fields is ~100 lines and loads nothing.
 *
 * Field numbers are data from the public OTLP schema, opentelemetry-proto
 * (https://github.com/open-telemetry/opentelemetry-proto):
 *   opentelemetry/proto/metrics/v1/metrics.proto  — MetricsData, ResourceMetrics, ScopeMetrics, Metric, Gauge, Sum,
 *                                                   NumberDataPoint, AggregationTemporality
 *   opentelemetry/proto/resource/v1/resource.proto — Resource
 *   opentelemetry/proto/common/v1/common.proto    — KeyValue, AnyValue, InstrumentationScope
 */

/** AggregationTemporality (metrics.proto). */
export const AGGREGATION_TEMPORALITY_DELTA = 1
export const AGGREGATION_TEMPORALITY_CUMULATIVE = 2

export interface OtlpDataPoint {
  /** String attributes (NumberDataPoint.attributes). */
  attributes: Record<string, string>
  /** Epoch ms; written as ns. For a Sum: the start of the interval the value covers. */
  startTimeMs?: number
  timeMs: number
  value: number
}

export interface OtlpMetric {
  name: string
  description?: string
  unit?: string
  /** A Sum (monotonic, with `temporality`) or a Gauge. */
  sum?: { temporality: number; monotonic: boolean }
  points: OtlpDataPoint[]
}

export interface OtlpMetricsData {
  resource: Record<string, string>
  scope?: { name: string; version?: string }
  metrics: OtlpMetric[]
}

// Wire types (protobuf encoding): 0 varint, 1 64-bit, 2 length-delimited.
const VARINT = 0
const FIXED64 = 1
const LENGTH = 2

/**
 * A protobuf writer that sizes nested messages by writing them into their own buffer first: payloads here are a few
 * kilobytes, written once per push interval, so simplicity beats a two-pass size computation.
 */
class ProtoWriter {
  readonly #chunks: Buffer[] = []
  #length = 0

  #push(bytes: Buffer): void {
    this.#chunks.push(bytes)
    this.#length += bytes.length
  }

  #varint(value: number): void {
    const bytes: number[] = []
    let v = value
    while (v > 0x7f) {
      bytes.push((v % 128) | 0x80)
      v = Math.floor(v / 128)
    }
    bytes.push(v)
    this.#push(Buffer.from(bytes))
  }

  #tag(field: number, wireType: number): void {
    this.#varint(field * 8 + wireType)
  }

  uint(field: number, value: number): void {
    if (value === 0) return
    this.#tag(field, VARINT)
    this.#varint(value)
  }

  bool(field: number, value: boolean): void {
    if (value) this.uint(field, 1)
  }

  string(field: number, value: string | undefined): void {
    if (!value) return
    this.bytes(field, Buffer.from(value, 'utf8'))
  }

  bytes(field: number, value: Buffer): void {
    this.#tag(field, LENGTH)
    this.#varint(value.length)
    this.#push(value)
  }

  /** A double, written even when 0 (a oneof member: its presence is the point). */
  double(field: number, value: number): void {
    this.#tag(field, FIXED64)
    const b = Buffer.allocUnsafe(8)
    b.writeDoubleLE(value)
    this.#push(b)
  }

  fixed64(field: number, value: bigint): void {
    if (value === 0n) return
    this.#tag(field, FIXED64)
    const b = Buffer.allocUnsafe(8)
    b.writeBigUInt64LE(value)
    this.#push(b)
  }

  message(field: number, write: (w: ProtoWriter) => void): void {
    const inner = new ProtoWriter()
    write(inner)
    this.bytes(field, inner.finish())
  }

  finish(): Buffer {
    return this.#chunks.length === 1 ? this.#chunks[0]! : Buffer.concat(this.#chunks, this.#length)
  }
}

function nanos(ms: number): bigint {
  return BigInt(Math.round(ms)) * 1_000_000n
}

// KeyValue { key = 1; value = 2 } with AnyValue { string_value = 1 }.
function writeAttributes(w: ProtoWriter, field: number, attributes: Record<string, string>): void {
  for (const key in attributes) {
    const value = attributes[key]!
    w.message(field, (kv) => {
      kv.string(1, key)
      kv.message(2, (any) => any.bytes(1, Buffer.from(value, 'utf8')))
    })
  }
}

// NumberDataPoint { attributes = 7; start_time_unix_nano = 2; time_unix_nano = 3; as_double = 4 }.
function writePoint(w: ProtoWriter, point: OtlpDataPoint): void {
  writeAttributes(w, 7, point.attributes)
  if (point.startTimeMs !== undefined) w.fixed64(2, nanos(point.startTimeMs))
  w.fixed64(3, nanos(point.timeMs))
  w.double(4, point.value)
}

/** Encodes `data` as an OTLP MetricsData message. */
export function encodeMetricsData(data: OtlpMetricsData): Buffer {
  const w = new ProtoWriter()
  // MetricsData { resource_metrics = 1 }
  w.message(1, (rm) => {
    // ResourceMetrics { resource = 1; scope_metrics = 2 }; Resource { attributes = 1 }
    rm.message(1, (resource) => writeAttributes(resource, 1, data.resource))
    rm.message(2, (sm) => {
      // ScopeMetrics { scope = 1; metrics = 2 }; InstrumentationScope { name = 1; version = 2 }
      if (data.scope) {
        const scope = data.scope
        sm.message(1, (s) => {
          s.string(1, scope.name)
          s.string(2, scope.version)
        })
      }
      for (const metric of data.metrics) {
        // Metric { name = 1; description = 2; unit = 3; gauge = 5; sum = 7 }
        sm.message(2, (m) => {
          m.string(1, metric.name)
          m.string(2, metric.description)
          m.string(3, metric.unit)
          if (metric.sum) {
            const sum = metric.sum
            // Sum { data_points = 1; aggregation_temporality = 2; is_monotonic = 3 }
            m.message(7, (s) => {
              for (const point of metric.points) s.message(1, (p) => writePoint(p, point))
              s.uint(2, sum.temporality)
              s.bool(3, sum.monotonic)
            })
          } else {
            // Gauge { data_points = 1 }
            m.message(5, (g) => {
              for (const point of metric.points) g.message(1, (p) => writePoint(p, point))
            })
          }
        })
      }
    })
  })
  return w.finish()
}
