/** KafkaJS's admin over samsa's. (Skeleton: filled in on the kafkajs branch before it merges.) */
import type { FacadeContext } from './kafka.js'

export interface AdminConfig {
  retry?: import('./kafka.js').RetryOptions
}

export class Admin {
  readonly #context: FacadeContext
  readonly #config: AdminConfig

  constructor(context: FacadeContext, config: AdminConfig) {
    this.#context = context
    this.#config = config
  }
}
