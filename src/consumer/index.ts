export { Consumer, CONSUMER_DEFAULTS } from './consumer.js'
export { rangeAssignor, roundRobinAssignor, cooperativeStickyAssignor, type Assignor, type AssignorMember } from './assignors.js'
export type * from './types.js'
export type { CommittedOffset, ListedOffset } from './offsets.js'
