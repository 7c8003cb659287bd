import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises'
import { basename, join, relative, resolve } from 'node:path'
import { generateTypeScript } from '@kafkit/avro'
import { type CliIo, type CommandGroup, ExitCode, UsageError } from '../command.js'
import { parse } from '../internal/args.js'

const usage = `kafkit codegen avro <file.avsc | dir>... -o <out-dir>

Generates one TypeScript module per .avsc file (directories are searched recursively):
the schema as an \`as const\` constant (\`avro(UserSchema)\` infers the types) and one
interface per record, one type per enum and fixed. <name>.avsc becomes <out-dir>/<name>.ts.

Exit codes: 0 generated, 2 usage error or invalid schema file.`

async function findSchemas(path: string): Promise<string[]> {
  const info = await stat(path)
  if (!info.isDirectory()) return [path]
  const found: string[] = []
  for (const entry of (await readdir(path, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
    const child = join(path, entry.name)
    if (entry.isDirectory()) found.push(...(await findSchemas(child)))
    else if (entry.name.endsWith('.avsc')) found.push(child)
  }
  return found
}

async function codegenAvro(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse(args, { out: { type: 'string', short: 'o' } })
  if (positionals.length === 0) throw new UsageError('give at least one .avsc file or directory')
  if (!values.out) throw new UsageError('give the output directory with -o <dir>')
  const outDir = resolve(io.cwd, values.out)

  const files: string[] = []
  for (const input of positionals) {
    try {
      files.push(...(await findSchemas(resolve(io.cwd, input))))
    } catch (error) {
      io.err(`kafkit codegen: ${input}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : (error as Error).message}`)
      return ExitCode.usage
    }
  }
  if (files.length === 0) {
    io.err('kafkit codegen: no .avsc files found')
    return ExitCode.usage
  }

  // Generate everything before writing anything: one bad file leaves the output untouched.
  const outputs = new Map<string, { source: string; from: string }>()
  for (const file of files) {
    const name = basename(file).replace(/\.avsc$/, '')
    const target = join(outDir, `${name}.ts`)
    const shown = relative(io.cwd, file) || file
    const clash = outputs.get(target)
    if (clash) {
      io.err(`kafkit codegen: ${shown} and ${clash.from} would both write ${relative(io.cwd, target)}`)
      return ExitCode.usage
    }
    try {
      const generated = generateTypeScript(await readFile(file, 'utf8'), { sourceName: basename(file), fallbackName: name })
      outputs.set(target, { source: generated.source, from: shown })
    } catch (error) {
      io.err(`kafkit codegen: ${shown}: ${(error as Error).message}`)
      return ExitCode.usage
    }
  }
  await mkdir(outDir, { recursive: true })
  for (const [target, { source, from }] of outputs) {
    await writeFile(target, source)
    io.out(`${from} → ${relative(io.cwd, target)}`)
  }
  return ExitCode.ok
}

/** `kafkit codegen …`: TypeScript from schema files. */
export const codegenCommand: CommandGroup = {
  name: 'codegen',
  summary: 'generate TypeScript types from .avsc files',
  usage,
  async run(args, io) {
    const [format, ...rest] = args
    if (format !== 'avro') throw new UsageError(format ? `unknown format "${format}" (supported: avro)` : 'missing format (avro)')
    return codegenAvro(rest, io)
  },
}
