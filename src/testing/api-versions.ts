/**
 * ApiVersions: the APIs registered in this fake, each with the version range the pinned Kafka offers (or the
 * handler's own narrower one). APIs the fake does not implement are absent, so clients treat it as an older broker.
 */
import { encodeResponseFrame } from '../protocol/frame.js'
import { ApiKeys, apis } from '../protocol/generated/index.js'
import { ErrorCodes } from '../protocol/generated/error-codes.js'
import { defineHandler, type HandlerRegistry } from './registry.js'

function apiKeysOf(registry: HandlerRegistry): Array<{ apiKey: number; minVersion: number; maxVersion: number }> {
  return registry.all().map((h) => ({ apiKey: h.apiKey, minVersion: h.minVersion, maxVersion: h.maxVersion }))
}

/** KIP-511: a request above our highest version is answered at v0 with UNSUPPORTED_VERSION and our ranges. */
export function unsupportedApiVersionsFrame(registry: HandlerRegistry, correlationId: number): Buffer {
  return encodeResponseFrame(apis[ApiKeys.ApiVersions], 0, correlationId, {
    errorCode: ErrorCodes.UNSUPPORTED_VERSION,
    apiKeys: apiKeysOf(registry),
  })
}

// A client software name/version must match this (KIP-511), else the broker answers INVALID_REQUEST.
const SOFTWARE = /^[a-zA-Z0-9](?:[a-zA-Z0-9\-.]*[a-zA-Z0-9])?$/

export const apiVersionsHandlers = [
  defineHandler({
    api: 'ApiVersions',
    handle(ctx, request) {
      const apiKeys = apiKeysOf(ctx.services.registry)
      if (ctx.apiVersion >= 3) {
        const name = request.clientSoftwareName ?? ''
        const version = request.clientSoftwareVersion ?? ''
        if (!SOFTWARE.test(name) || !SOFTWARE.test(version)) return { errorCode: ErrorCodes.INVALID_REQUEST, apiKeys }
        ctx.connection.clientSoftwareName = name
        ctx.connection.clientSoftwareVersion = version
      }
      const features = ctx.services.features
      // v3 answers leave out features whose minimum is 0 (KIP-584's compatibility rule, as the broker applies it).
      const supported = features.filter((f) => ctx.apiVersion >= 4 || f.minVersion > 0)
      return {
        errorCode: 0,
        apiKeys,
        throttleTimeMs: 0,
        supportedFeatures: supported.map((f) => ({ name: f.name, minVersion: f.minVersion, maxVersion: f.maxVersion })),
        finalizedFeaturesEpoch: features.length > 0 ? 1n : -1n,
        finalizedFeatures: supported.filter((f) => f.level > 0).map((f) => ({ name: f.name, minVersionLevel: f.level, maxVersionLevel: f.level })),
      }
    },
    errorResponse(ctx, _request, errorCode) {
      return { errorCode, apiKeys: apiKeysOf(ctx.services.registry) }
    },
  }),
]
