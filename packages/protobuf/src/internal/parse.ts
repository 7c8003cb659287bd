import Long from 'long'
import protobuf from 'protobufjs'
import type { Namespace, Root, Type } from 'protobufjs'
import descriptor from 'protobufjs/ext/descriptor/index.js'
import { KafkitError } from '@kafkit/core'
import type { ProtoFile } from '../proto-file.js'

/** Field names stay as written in the `.proto` (`user_id`, not `userId`): what every other language's JSON mapping reads back. */
const PARSE_OPTIONS = { keepCase: true }

/**
 * protobufjs finds `long` through an eval'd require that bundlers and ESM loaders defeat;
 * without it 64-bit integers silently lose precision. Set once, before any type is built.
 */
function ensureLong(): void {
  if (protobuf.util.Long !== Long) {
    protobuf.util.Long = Long
    protobuf.configure()
  }
}

/** A `google/protobuf/*.proto` import that protobufjs (and every registry) knows without a reference. */
export function isWellKnown(name: string): boolean {
  return name.startsWith('google/protobuf/') && protobuf.common.get(name) !== null
}

/** Parses one file on its own (imports unresolved): its package, imports and declarations in order. */
function parseAlone(name: string, source: string): protobuf.IParserResult {
  try {
    return protobuf.parse(source, new protobuf.Root(), PARSE_OPTIONS)
  } catch (error) {
    throw new KafkitError('KAFKIT_CONFIG', `${name} is not a valid .proto file: ${(error as Error).message}`, { cause: error })
  }
}

/** The import paths of a `.proto` source, weak imports included. */
export function importsOf(name: string, source: string): string[] {
  const parsed = parseAlone(name, source)
  return [...(parsed.imports ?? []), ...(parsed.weakImports ?? [])]
}

/** Every file of `file`'s import graph, each once, dependencies first. */
export function importGraph(file: ProtoFile): ProtoFile[] {
  const seen = new Map<string, ProtoFile>()
  const visit = (current: ProtoFile) => {
    if (seen.has(current.name)) return
    for (const imported of current.imports ?? []) visit(imported)
    seen.set(current.name, current)
  }
  visit(file)
  return [...seen.values()]
}

/**
 * One protobufjs root holding `file`, its imports and the well-known types they use, fully
 * resolved.
 * @throws KafkitError `KAFKIT_CONFIG` for a file that does not parse or a type that does not resolve
 */
export function buildRoot(file: ProtoFile): Root {
  ensureLong()
  const root = new protobuf.Root()
  const wellKnown = new Set<string>()
  for (const current of importGraph(file)) {
    let parsed: protobuf.IParserResult
    try {
      parsed = protobuf.parse(current.source, root, PARSE_OPTIONS)
    } catch (error) {
      throw new KafkitError('KAFKIT_CONFIG', `${current.name} is not a valid .proto file: ${(error as Error).message}`, { cause: error })
    }
    for (const imported of [...(parsed.imports ?? []), ...(parsed.weakImports ?? [])]) if (isWellKnown(imported)) wellKnown.add(imported)
  }
  for (const name of wellKnown) {
    const json = protobuf.common.get(name) as { nested?: Record<string, protobuf.AnyNestedObject> } | null
    if (json?.nested) root.addJSON(json.nested)
  }
  try {
    root.resolveAll()
  } catch (error) {
    throw new KafkitError('KAFKIT_CONFIG', `${file.name}: ${(error as Error).message}`, { cause: error })
  }
  return root
}

/** The message types declared directly in a namespace or message, in declaration order. */
function messagesIn(namespace: Namespace): Type[] {
  return namespace.nestedArray.filter((nested): nested is Type => nested instanceof protobuf.Type)
}

/** The namespace that holds a file's top-level declarations (its package). */
function packageNamespace(parsed: protobuf.IParserResult): Namespace {
  return parsed.package ? (parsed.root.lookup(parsed.package) as Namespace) : parsed.root
}

/**
 * The message-index array of `fullName` in `file` (see the wire format). Computed from the
 * file alone, so messages of other files in the same package do not shift it.
 * @throws KafkitError `KAFKIT_CONFIG` when the file does not declare that message
 */
export function messageIndexes(file: ProtoFile, fullName: string): number[] {
  const parsed = parseAlone(file.name, file.source)
  const pkg = parsed.package ?? ''
  if (pkg !== '' && !fullName.startsWith(`${pkg}.`)) throw notDeclared(file, fullName)
  const path = (pkg === '' ? fullName : fullName.slice(pkg.length + 1)).split('.')
  const indexes: number[] = []
  let scope: Namespace = packageNamespace(parsed)
  for (const part of path) {
    const index = messagesIn(scope).findIndex((type) => type.name === part)
    if (index < 0) throw notDeclared(file, fullName)
    indexes.push(index)
    scope = messagesIn(scope)[index] as Type
  }
  return indexes
}

function notDeclared(file: ProtoFile, fullName: string): KafkitError {
  return new KafkitError('KAFKIT_CONFIG', `${file.name} does not declare message ${fullName} (give its full name, package included)`)
}

/** The full names of the messages declared in `file` itself, parents before nested ones. */
export function declaredMessages(file: ProtoFile): string[] {
  const names: string[] = []
  const walk = (scope: Namespace) => {
    for (const type of messagesIn(scope)) {
      names.push(type.fullName.replace(/^\./, ''))
      walk(type)
    }
  }
  walk(packageNamespace(parseAlone(file.name, file.source)))
  return names
}

/** Finds the full name of the message a writer's index array points at, or `undefined`. */
export type IndexResolver = (indexes: readonly number[]) => string | undefined

/**
 * An {@link IndexResolver} for a schema as the registry returns it: `.proto` text (what kafkit
 * and the Java serializer register) or a base64 `FileDescriptorProto` (what Python's
 * serializer registers, and registries return on `format=serialized`).
 * @throws Error when the schema is neither (the caller wraps it)
 */
export function indexResolver(schema: string): IndexResolver {
  const trimmed = schema.trim()
  if (/^[A-Za-z0-9+/=\s]+$/.test(trimmed) && !/\bmessage\b|;|\{/.test(trimmed)) return descriptorResolver(Buffer.from(trimmed, 'base64'))
  const parsed = protobuf.parse(schema, new protobuf.Root(), PARSE_OPTIONS)
  const top = packageNamespace(parsed)
  return (indexes) => {
    let scope: Namespace = top
    let found: Type | undefined
    for (const index of indexes) {
      found = messagesIn(scope)[index]
      if (!found) return undefined
      scope = found
    }
    return found?.fullName.replace(/^\./, '')
  }
}

interface DescriptorMessage {
  name?: string
  nestedType?: DescriptorMessage[]
}

function descriptorResolver(bytes: Buffer): IndexResolver {
  const file = descriptor.FileDescriptorProto.decode(bytes) as unknown as { package?: string; messageType?: DescriptorMessage[] }
  const prefix = file.package ? `${file.package}.` : ''
  return (indexes) => {
    let list = file.messageType ?? []
    const names: string[] = []
    for (const index of indexes) {
      const found = list[index]
      if (!found?.name) return undefined
      names.push(found.name)
      list = found.nestedType ?? []
    }
    return names.length > 0 ? prefix + names.join('.') : undefined
  }
}
