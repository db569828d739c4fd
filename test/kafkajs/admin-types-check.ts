/**
 * Compile-time check (run by `tsc -p tsconfig.test.json`, not by jest): for every admin method, what KafkaJS
 * 2.2.4's declarations accept is accepted by the facade, and what the facade answers is what KafkaJS's declarations
 * promise. Enums are compared as the numbers they are, because TypeScript keeps two enum declarations apart even
 * when their members are equal (constants.ts has KafkaJS's values).
 */
import type { Admin as KafkaJSAdmin } from 'kafkajs'
import type { Admin } from '../../src/kafkajs/admin.js'

type Loosen<T> = T extends number
  ? number
  : T extends Buffer
    ? Buffer
    : T extends Error
      ? Error
      : T extends Array<infer U>
        ? Array<Loosen<U>>
        : T extends (...args: never[]) => unknown
          ? T
          : T extends object
            ? { [K in keyof T]: Loosen<T[K]> }
            : T

type Assignable<From, To> = [From] extends [To] ? true : false
type Check<T extends true> = T

type Method = Exclude<keyof KafkaJSAdmin, 'on' | 'events' | 'logger'>
type KafkaJSParams<M extends Method> = Loosen<Parameters<KafkaJSAdmin[M]>>
type FacadeParams<M extends Method> = Loosen<Parameters<Admin[M]>>
type KafkaJSResult<M extends Method> = Loosen<Awaited<ReturnType<KafkaJSAdmin[M]>>>
type FacadeResult<M extends Method> = Loosen<Awaited<ReturnType<Admin[M]>>>

type AcceptsKafkaJSArguments = { [M in Method]: Assignable<KafkaJSParams<M>, FacadeParams<M>> }
type AnswersKafkaJSResults = { [M in Method]: Assignable<FacadeResult<M>, KafkaJSResult<M>> }

// Each line fails to compile, naming the method, when the facade drifts from KafkaJS's declarations.
export type AdminTypeChecks = [
  Check<AcceptsKafkaJSArguments[Method]>,
  Check<AnswersKafkaJSResults[Method]>,
  Check<Assignable<Admin['events'], KafkaJSAdmin['events']>>,
  Check<Assignable<KafkaJSAdmin['events'], Admin['events']>>,
  Check<Assignable<keyof KafkaJSAdmin, keyof Admin>>,
]
