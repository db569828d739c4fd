/**
 * KafkaJS 2.2.4 itself (the devDependency) on the same broker, as the reference the facade's admin answers are
 * compared with: same calls, same shapes, same error classes and messages.
 */
import { Kafka as KafkaJS, logLevel as kafkajsLogLevel } from 'kafkajs'
import type { Admin as KafkaJSAdmin } from 'kafkajs'
import type { Admin } from '../../src/kafkajs/admin.js'
import { brokers, newKafka } from './support.js'
export { eventually } from '../helpers/wait.js'

export function oracleKafka(): KafkaJS {
  return new KafkaJS({ clientId: 'kafkajs-oracle', brokers, logLevel: kafkajsLogLevel.NOTHING })
}

export function oracleAdmin(): KafkaJSAdmin {
  return oracleKafka().admin()
}

/** The facade's admin and KafkaJS's own, both connected: what each admin test file compares. */
export async function connectAdmins(): Promise<{ admin: Admin; oracle: KafkaJSAdmin }> {
  const admin = newKafka().admin()
  const oracle = oracleAdmin()
  await Promise.all([admin.connect(), oracle.connect()])
  return { admin, oracle }
}

export async function disconnectAdmins(admin: Admin, oracle: KafkaJSAdmin): Promise<void> {
  await Promise.all([admin.disconnect(), oracle.disconnect()])
}

/** What a call rejected with, as the fields programs look at; fails the test when the call resolved. */
export async function failureOf(call: () => Promise<unknown>): Promise<{ name: string; message: string; type?: string; retriable?: boolean }> {
  try {
    await call()
  } catch (e) {
    const error = e as { name: string; message: string; type?: string; retriable?: boolean }
    return { name: error.name, message: error.message, type: error.type, retriable: error.retriable }
  }
  throw new Error('expected the call to fail')
}

