export { Admin, type AdminOptions } from './admin.js'
export type { AdminCallOptions, TopicPartition, AclOperation } from './internal.js'
export type * from './topics.js'
export type * from './configs.js'
