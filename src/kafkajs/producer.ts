/** KafkaJS's producer over samsa's. (Skeleton: filled in on the kafkajs branch before it merges.) */
import type { FacadeContext } from './kafka.js'

export interface ProducerConfig {
  retry?: import('./kafka.js').RetryOptions
}

export class Producer {
  readonly #context: FacadeContext
  readonly #config: ProducerConfig

  constructor(context: FacadeContext, config: ProducerConfig) {
    this.#context = context
    this.#config = config
  }
}
