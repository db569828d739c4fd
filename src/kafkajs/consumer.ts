/** KafkaJS's consumer over samsa's. (Skeleton: filled in on the kafkajs branch before it merges.) */
import type { FacadeContext } from './kafka.js'

export interface ConsumerConfig {
  groupId: string
  retry?: import('./kafka.js').RetryOptions
}

export class Consumer {
  readonly #context: FacadeContext
  readonly #config: ConsumerConfig

  constructor(context: FacadeContext, config: ConsumerConfig) {
    this.#context = context
    this.#config = config
  }
}
