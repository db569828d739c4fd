// Jest settings for the example test: plain CommonJS, nothing to transform.
module.exports = {
  rootDir: __dirname,
  testMatch: ['<rootDir>/*.jest.test.cjs'],
  transform: {},
  testEnvironment: 'node',
}
