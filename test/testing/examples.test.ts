/**
 * The examples in docs/testing-your-app.md are real files: this runs them as a user would, against the built
 * package (`samsa` and `samsa/testing` resolve to dist/ through package.json "exports").
 */
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'

const root = join(__dirname, '..', '..')

function run(args: string[]): { status: number | null; output: string } {
  const result = spawnSync(process.execPath, args, { cwd: root, encoding: 'utf8', timeout: 120_000, env: { ...process.env, NODE_OPTIONS: '' } })
  return { status: result.status, output: `${result.stdout}\n${result.stderr}` }
}

describe('examples/testing', () => {
  beforeAll(() => {
    if (!existsSync(join(root, 'dist/cjs/testing/index.js'))) throw new Error('dist/ has no samsa/testing: run `npm run build` first (`npm test` does)')
  })

  it('the node:test example passes', () => {
    const { status, output } = run(['--test', 'examples/testing/orders.node-test.test.mjs'])
    expect(output).toMatch(/# pass 2\b/)
    expect(status).toBe(0)
  })

  it('the Jest example passes', () => {
    const { status, output } = run([join(root, 'node_modules/jest/bin/jest.js'), '--config', 'examples/testing/jest.config.cjs'])
    expect(output).toMatch(/Tests:\s+4 passed, 4 total/)
    expect(status).toBe(0)
  })
})
