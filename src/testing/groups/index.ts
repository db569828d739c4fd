/** Everything the group coordinator answers, for DEFAULT_HANDLERS. */
import { groupAdminHandlers } from './admin.js'
import { classicHandlers } from './classic.js'
import { consumerProtocolHandlers } from './consumer-protocol.js'
import { findCoordinatorHandlers } from './find-coordinator.js'
import { offsetCommitHandlers } from './offsets.js'

export const groupHandlers = [...findCoordinatorHandlers, ...classicHandlers, ...consumerProtocolHandlers, ...offsetCommitHandlers, ...groupAdminHandlers]

export { GroupCoordinator, DEFAULT_GROUP_CONFIG, type GroupConfig } from './coordinator.js'
export { ManualClock, RealClock, type FakeClock } from './clock.js'
