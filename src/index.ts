/** samsa: the public surface. Clients (Kafka, Producer, Consumer, Admin) are exported here as they land. */
export {
  KafkaError,
  KafkaProtocolError,
  ProtocolDecodeError,
  RecordsDecodeError,
  ConnectionError,
  TimeoutError,
  AuthenticationError,
} from './errors.js'
