import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises'
import { basename, dirname, join, relative, resolve } from 'node:path'
import { generateTypeScript } from '@kafkit/avro'
import { generateProtobufTypeScript, loadProtoFile } from '@kafkit/protobuf'
import { type CliIo, type CommandGroup, ExitCode, UsageError } from '../command.js'
import { parse } from '../internal/args.js'

const usage = `kafkit codegen avro <file.avsc | dir>... -o <out-dir>
kafkit codegen protobuf <file.proto | dir>... -o <out-dir> [-I <include-dir>]...

avro: one TypeScript module per .avsc file (directories are searched recursively): the
schema as an \`as const\` constant (\`avro(UserSchema)\` infers the types) and one
interface per record, one type per enum and fixed. <name>.avsc becomes <out-dir>/<name>.ts.

protobuf: one TypeScript module per .proto file: the file and its imports as ProtoFile
constants, an interface per message (what consumers receive) and an <Name>Input interface
(what producers send), a union type per enum, and a ProtoMessage per message of the file
(\`protobuf(Payment, { registry })\` is typed by it). <name>.proto becomes <out-dir>/<name>.ts.
  -I, --include <d>  a directory imports are relative to (repeatable; default: each given
                     directory, or the given file's directory)

Exit codes: 0 generated, 2 usage error or invalid schema file.`

async function findSchemas(path: string, extension = '.avsc'): Promise<string[]> {
  const info = await stat(path)
  if (!info.isDirectory()) return [path]
  const found: string[] = []
  for (const entry of (await readdir(path, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
    const child = join(path, entry.name)
    if (entry.isDirectory()) found.push(...(await findSchemas(child, extension)))
    else if (entry.name.endsWith(extension)) found.push(child)
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

  return writeGenerated(
    files.map((file) => {
      const name = basename(file).replace(/\.avsc$/, '')
      return { from: file, target: join(outDir, `${name}.ts`), generate: async () => generateTypeScript(await readFile(file, 'utf8'), { sourceName: basename(file), fallbackName: name }).source }
    }),
    outDir,
    io,
  )
}

async function codegenProtobuf(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse(args, { out: { type: 'string', short: 'o' }, include: { type: 'string', short: 'I', multiple: true } })
  if (positionals.length === 0) throw new UsageError('give at least one .proto file or directory')
  if (!values.out) throw new UsageError('give the output directory with -o <dir>')
  const outDir = resolve(io.cwd, values.out)
  const files: { path: string; includeDirs: string[] }[] = []
  for (const input of positionals) {
    const path = resolve(io.cwd, input)
    try {
      const isDir = (await stat(path)).isDirectory()
      const includeDirs = values.include?.map((dir) => resolve(io.cwd, dir)) ?? [isDir ? path : dirname(path)]
      for (const found of await findSchemas(path, '.proto')) files.push({ path: found, includeDirs })
    } catch (error) {
      io.err(`kafkit codegen: ${input}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : (error as Error).message}`)
      return ExitCode.usage
    }
  }
  if (files.length === 0) {
    io.err('kafkit codegen: no .proto files found')
    return ExitCode.usage
  }
  return writeGenerated(
    files.map(({ path, includeDirs }) => ({
      from: path,
      target: join(outDir, `${basename(path).replace(/\.proto$/, '')}.ts`),
      generate: async () => generateProtobufTypeScript(await loadProtoFile(path, { includeDirs })).source,
    })),
    outDir,
    io,
  )
}

/**
 * Generates every file before writing any (one bad schema leaves the output untouched),
 * refuses two schemas that would write the same file, then writes and lists them.
 */
async function writeGenerated(jobs: { from: string; target: string; generate: () => Promise<string> }[], outDir: string, io: CliIo): Promise<number> {
  const outputs = new Map<string, { source: string; from: string }>()
  for (const { from, target, generate } of jobs) {
    const shown = relative(io.cwd, from) || from
    const clash = outputs.get(target)
    if (clash) {
      io.err(`kafkit codegen: ${shown} and ${clash.from} would both write ${relative(io.cwd, target)}`)
      return ExitCode.usage
    }
    try {
      outputs.set(target, { source: await generate(), from: shown })
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
  summary: 'generate TypeScript types from .avsc and .proto files',
  usage,
  async run(args, io) {
    const [format, ...rest] = args
    if (format === 'avro') return codegenAvro(rest, io)
    if (format === 'protobuf') return codegenProtobuf(rest, io)
    throw new UsageError(format ? `unknown format "${format}" (supported: avro, protobuf)` : 'missing format (avro or protobuf)')
  },
}
