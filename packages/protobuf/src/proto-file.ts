import { readFile } from 'node:fs/promises'
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path'
import { KafkitError } from '@kafkit/core'
import { buildRoot, declaredMessages, importsOf, isWellKnown } from './internal/parse.js'

/**
 * One `.proto` file: the name other files import it by, its source, and the files it
 * imports. Registered as a `PROTOBUF` schema; each import becomes a registry reference
 * (well-known `google/protobuf/*` imports excepted: registries know them).
 */
export interface ProtoFile {
  /** The import path, e.g. `shop/money.proto`: a reference's name and, by default, its subject. */
  readonly name: string
  /** The `.proto` source, registered as written. */
  readonly source: string
  /** The files this one imports (not the well-known types), by the name its `import` lines use. */
  readonly imports?: readonly ProtoFile[]
}

/**
 * A {@link ProtoFile} from source text, checked: every `import` of `source` must be among
 * `imports` or a well-known `google/protobuf/*` type.
 *
 * @example
 * ```ts
 * const money = protoFile('shop/money.proto', 'syntax = "proto3"; package shop; message Money { string currency = 1; int64 units = 2; }')
 * const payment = protoFile('shop/payment.proto', paymentSource, [money])
 * ```
 * @throws KafkitError `KAFKIT_CONFIG` for a missing import or source that does not parse
 */
export function protoFile(name: string, source: string, imports: readonly ProtoFile[] = []): ProtoFile {
  if (typeof name !== 'string' || name === '') throw new KafkitError('KAFKIT_CONFIG', 'protoFile: name must be the import path of the file, e.g. "shop/payment.proto"')
  if (typeof source !== 'string') throw new KafkitError('KAFKIT_CONFIG', `protoFile ${name}: source must be the .proto text`)
  const given = new Set(imports.map((file) => file.name))
  for (const imported of importsOf(name, source)) {
    if (!given.has(imported) && !isWellKnown(imported)) {
      throw new KafkitError('KAFKIT_CONFIG', `${name} imports "${imported}", which is not among its imports (${[...given].join(', ') || 'none given'})`)
    }
  }
  return Object.freeze({ name, source, imports: Object.freeze([...imports]) })
}

/** Options of {@link loadProtoFile}. */
export interface LoadProtoOptions {
  /**
   * Directories `import` paths are relative to, searched in order (`protoc -I`).
   * @default the directory of the file
   */
  includeDirs?: string[]
}

/**
 * Reads a `.proto` file and, recursively, the files it imports (found in `includeDirs`),
 * into a {@link ProtoFile}. The file's name is its path relative to the include directory
 * that holds it, as `protoc` names it.
 *
 * @example
 * ```ts
 * const payment = await loadProtoFile('protos/shop/payment.proto', { includeDirs: ['protos'] })
 * ```
 * @throws KafkitError `KAFKIT_CONFIG` for a file or import that cannot be read or parsed
 */
export async function loadProtoFile(path: string, options: LoadProtoOptions = {}): Promise<ProtoFile> {
  const absolute = resolve(path)
  const includeDirs = (options.includeDirs ?? [dirname(absolute)]).map((dir) => resolve(dir))
  const home = includeDirs.find((dir) => absolute.startsWith(dir + sep))
  const name = home ? relative(home, absolute).split(sep).join('/') : absolute.slice(dirname(absolute).length + 1)
  const loaded = new Map<string, Promise<ProtoFile>>()
  return load(name, home ? undefined : absolute, includeDirs, loaded, [])
}

async function load(name: string, knownPath: string | undefined, includeDirs: string[], loaded: Map<string, Promise<ProtoFile>>, chain: string[]): Promise<ProtoFile> {
  if (chain.includes(name)) throw new KafkitError('KAFKIT_CONFIG', `import cycle: ${[...chain, name].join(' → ')}`)
  let pending = loaded.get(name)
  if (!pending) {
    pending = (async () => {
      const candidates = knownPath ? [knownPath] : isAbsolute(name) ? [name] : includeDirs.map((dir) => join(dir, name))
      let source: string | undefined
      for (const candidate of candidates) {
        source = await readFile(candidate, 'utf8').catch(() => undefined)
        if (source !== undefined) break
      }
      if (source === undefined) throw new KafkitError('KAFKIT_CONFIG', `cannot read ${name} (looked in ${candidates.join(', ')})`)
      const imports: ProtoFile[] = []
      for (const imported of importsOf(name, source)) {
        if (isWellKnown(imported)) continue
        imports.push(await load(imported, undefined, includeDirs, loaded, [...chain, name]))
      }
      return protoFile(name, source, imports)
    })()
    loaded.set(name, pending)
  }
  return pending
}

/**
 * The full names of the messages `file` declares (nested ones too), after building and
 * resolving it with everything it imports: a check that the file is usable, as a serde
 * would build it.
 * @throws KafkitError `KAFKIT_CONFIG` for source that does not parse or a type that does not resolve
 */
export function protoMessages(file: ProtoFile): string[] {
  buildRoot(file)
  return declaredMessages(file)
}
