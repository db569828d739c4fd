'use strict'
/**
 * Runs before every KafkaJS spec: the spec timeout KafkaJS uses, the matchers its specs expect (jest-extended and
 * two of KafkaJS's own, written here from their documented meaning), jest 25's tolerance of a test or hook that
 * takes `done` and also returns a promise, and the exclusion list, applied by turning an excluded test into a
 * skipped one (run.mjs then reports it as excluded, with its reason).
 */
const path = require('node:path')
const fs = require('node:fs')

jest.setTimeout(90000)
expect.extend(require(process.env.SUITE_JEST_EXTENDED))

expect.extend({
  optional(received, value) {
    const pass = received === undefined || received === value
    return { pass, message: () => `expected ${received} ${pass ? 'not ' : ''}to be undefined or ${value}` }
  },
  toBeTypeOrNull(received, type) {
    const pass = received === null || this.equals(received, expect.any(type))
    return { pass, message: () => `expected ${received} ${pass ? 'not ' : ''}to be a ${type.name} or null` }
  },
})

const exclusions = JSON.parse(fs.readFileSync(process.env.SUITE_EXCLUSIONS, 'utf-8'))
const specFile = path.relative(process.env.KAFKAJS_ROOT, expect.getState().testPath).split(path.sep).join('/')
const excludedTitles = new Set(exclusions.filter((entry) => entry.file === specFile).map((entry) => entry.test))

// KafkaJS's jest (25) let such a function finish when it calls `done`; jest 29 fails it outright.
function doneCompatible(fn) {
  if (typeof fn !== 'function' || fn.length === 0) return fn
  return function () {
    return new Promise((resolve, reject) => {
      const done = (error) => (error ? reject(error) : resolve())
      Promise.resolve(fn.call(this, done)).catch(reject)
    })
  }
}

function skippingExcluded(original) {
  const wrapped = (title, fn, timeout) => (excludedTitles.has(title) ? original.skip(title, fn) : original(title, doneCompatible(fn), timeout))
  Object.assign(wrapped, original)
  wrapped.only = (title, fn, timeout) => (excludedTitles.has(title) ? original.skip(title, fn) : original.only(title, doneCompatible(fn), timeout))
  return wrapped
}
global.test = skippingExcluded(global.test)
global.it = skippingExcluded(global.it)
for (const hook of ['beforeAll', 'beforeEach', 'afterAll', 'afterEach']) {
  const original = global[hook]
  global[hook] = (fn, timeout) => original(doneCompatible(fn), timeout)
}
