/**
 * ApiVersions negotiation: for every API both sides know, the highest version in both ranges. Versions the
 * generated table marks unstable (`latestVersionUnstable`) are used only when the application opts in.
 */
import { KafkaError } from '../errors.js'
import { apis } from '../protocol/index.js'

export interface BrokerApiVersions {
  apis: Array<{ apiKey: number; minVersion: number; maxVersion: number }>
  /** Finalized feature levels (e.g. `transaction.version`, `group.version`, `share.version`). */
  finalizedFeatures: Map<string, number>
  finalizedFeaturesEpoch: bigint
}

export class UnsupportedVersionError extends KafkaError {
  readonly apiKey: number
  constructor(apiKey: number, detail: string) {
    super(`${apis[apiKey]?.name ?? `API ${apiKey}`}: ${detail}`)
    this.apiKey = apiKey
  }
}

export class NegotiatedVersions {
  readonly #chosen: Map<number, number>
  readonly #broker: Map<number, { minVersion: number; maxVersion: number }>
  readonly features: ReadonlyMap<string, number>
  readonly featuresEpoch: bigint

  constructor(chosen: Map<number, number>, broker: BrokerApiVersions) {
    this.#chosen = chosen
    this.#broker = new Map(broker.apis.map((a) => [a.apiKey, { minVersion: a.minVersion, maxVersion: a.maxVersion }]))
    this.features = broker.finalizedFeatures
    this.featuresEpoch = broker.finalizedFeaturesEpoch
  }

  /** The version to use for `apiKey`, or null when no version is common to both sides. */
  get(apiKey: number): number | null {
    return this.#chosen.get(apiKey) ?? null
  }

  require(apiKey: number, minimum = 0): number {
    const version = this.#chosen.get(apiKey)
    if (version === undefined) {
      const range = this.#broker.get(apiKey)
      throw new UnsupportedVersionError(
        apiKey,
        range ? `no version in common (broker ${range.minVersion}-${range.maxVersion})` : 'the broker does not support this API',
      )
    }
    if (version < minimum) throw new UnsupportedVersionError(apiKey, `needs version ${minimum}+, broker offers up to ${version}`)
    return version
  }

  /** The broker's own range for `apiKey`, if it offers the API at all. */
  brokerRange(apiKey: number): { minVersion: number; maxVersion: number } | undefined {
    return this.#broker.get(apiKey)
  }

  /** A finalized feature level, 0 when the feature is not finalized. */
  featureLevel(name: string): number {
    return this.features.get(name) ?? 0
  }

  entries(): IterableIterator<[number, number]> {
    return this.#chosen.entries()
  }
}

export function negotiateVersions(broker: BrokerApiVersions, options: { allowUnstable: boolean }): NegotiatedVersions {
  const chosen = new Map<number, number>()
  for (const { apiKey, minVersion, maxVersion } of broker.apis) {
    const api = apis[apiKey]
    if (!api) continue
    const ourMax = api.latestVersionUnstable && !options.allowUnstable ? api.maxVersion - 1 : api.maxVersion
    const version = Math.min(ourMax, maxVersion)
    if (version >= Math.max(minVersion, api.minVersion)) chosen.set(apiKey, version)
  }
  return new NegotiatedVersions(chosen, broker)
}
