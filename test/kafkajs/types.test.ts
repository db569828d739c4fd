/**
 * The facade's type contract: the KafkaJS programs in test/kafkajs/types/ must compile both against KafkaJS's own
 * types (so they are genuine KafkaJS programs) and, unchanged, with `kafkajs` resolved to samsa/kafkajs (so a
 * TypeScript program migrates by switching its import). A failure lists every diagnostic, file and line.
 */
import { readdirSync } from 'node:fs'
import { join, relative, resolve } from 'node:path'
import ts from 'typescript'

const root = resolve(__dirname, '..', '..')
const programsDir = join(__dirname, 'types')
const programs = readdirSync(programsDir)
  .filter((name) => name.endsWith('.ts'))
  .map((name) => join(programsDir, name))

const baseOptions: ts.CompilerOptions = {
  target: ts.ScriptTarget.ES2022,
  lib: ['lib.es2022.d.ts'],
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  strict: true,
  esModuleInterop: true,
  skipLibCheck: true,
  noEmit: true,
  types: ['node'],
  typeRoots: [join(root, 'node_modules', '@types')],
}

function diagnostics(options: ts.CompilerOptions): string[] {
  const program = ts.createProgram(programs, options)
  return ts
    .getPreEmitDiagnostics(program)
    .filter((diagnostic) => !diagnostic.file || diagnostic.file.fileName.startsWith(programsDir))
    .map((diagnostic) => {
      const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n')
      if (!diagnostic.file || diagnostic.start === undefined) return message
      const { line, character } = diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start)
      return `${relative(root, diagnostic.file.fileName)}:${line + 1}:${character + 1} TS${diagnostic.code}: ${message}`
    })
}

describe('KafkaJS type programs', () => {
  test('are found', () => {
    expect(programs.map((file) => relative(programsDir, file)).sort()).toEqual(['admin.ts', 'config.ts', 'consumer.ts', 'errors.ts', 'producer.ts'])
  })

  test('compile against kafkajs 2.2.4', () => {
    expect(diagnostics(baseOptions)).toEqual([])
  })

  test('compile unchanged against samsa/kafkajs', () => {
    expect(diagnostics({ ...baseOptions, paths: { kafkajs: [join(root, 'src', 'kafkajs', 'index.ts')] } })).toEqual([])
  })
})
