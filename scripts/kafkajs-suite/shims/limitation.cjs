'use strict'
/**
 * Thrown when a spec reaches for a KafkaJS internal that has no counterpart in the facade, so the results tell a
 * shim limitation apart from a facade bug at a glance.
 */
class ShimLimitationError extends Error {
  constructor(what) {
    super(`[shim limitation] ${what} is a KafkaJS internal with no counterpart in samsa/kafkajs`)
    this.name = 'ShimLimitationError'
  }
}

module.exports = { ShimLimitationError }
