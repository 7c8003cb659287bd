import Long from 'long'
import protobuf from 'protobufjs'
import type { Namespace, Root, Type } from 'protobufjs'
import descriptor from 'protobufjs/ext/descriptor/index.js'
import { KafkitError } from '@kafkit/core'
import type { ProtoFile } from '../proto-file.js'
import { mapEntryName, type MessageSlot, messageSlots } from './nested-types.js'

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

/** The message types declared directly in a namespace or message, in declaration order (map entries are not among them). */
function messagesIn(namespace: Namespace): Type[] {
  return namespace.nestedArray.filter((nested): nested is Type => nested instanceof protobuf.Type)
}

/** The namespace that holds a file's top-level declarations (its package). */
function packageNamespace(parsed: protobuf.IParserResult): Namespace {
  return parsed.package ? (parsed.root.lookup(parsed.package) as Namespace) : parsed.root
}

/** A message list entry (see {@link MessageSlot}) with its full name. */
interface Slot {
  readonly name: string
  readonly fullName: string
  readonly mapEntry: boolean
  readonly nested: readonly Slot[]
}

/**
 * The message lists of a parsed file as protoc numbers them (map entries included, see
 * {@link messageSlots}), checked against protobufjs: the messages must be the ones protobufjs
 * found, in its order, and the entries one per map field, in field order. Every `ProtoFile` and
 * every registry text schema has its source, so there is no path without it.
 * @throws Error when the source scanner and protobufjs disagree (a form the scanner does not know)
 */
function numbering(parsed: protobuf.IParserResult, source: string): Slot[] {
  const check = (scope: Namespace, slots: readonly MessageSlot[], prefix: string): Slot[] => {
    const types = messagesIn(scope)
    const maps = scope instanceof protobuf.Type ? scope.fieldsArray.filter((field) => field instanceof protobuf.MapField).map((field) => mapEntryName(field.name)) : []
    const scanned = slots.filter((slot) => !slot.mapEntry).map((slot) => slot.name)
    const entries = slots.filter((slot) => slot.mapEntry).map((slot) => slot.name)
    if (scanned.join() !== types.map((type) => type.name).join() || entries.join() !== maps.join()) {
      throw new Error(`cannot number the nested messages of ${prefix || 'the file'}: the .proto declares them in a form kafkit does not read`)
    }
    return slots.map((slot) => {
      const fullName = prefix === '' ? slot.name : `${prefix}.${slot.name}`
      const type = slot.mapEntry ? undefined : types.find((candidate) => candidate.name === slot.name)
      return { name: slot.name, fullName, mapEntry: slot.mapEntry, nested: type ? check(type, slot.nested, fullName) : [] }
    })
  }
  return check(packageNamespace(parsed), messageSlots(source), parsed.package ?? '')
}

/**
 * The message-index array of `fullName` in `file` (see the wire format), numbered as protoc
 * numbers a descriptor's message lists: each `map<…>` field's entry type counts among the
 * nested messages, at the field's place, so Java and Python find the same message. Computed
 * from the file alone, so messages of other files in the same package do not shift it.
 * @throws KafkitError `KAFKIT_CONFIG` when the file does not declare that message
 */
export function messageIndexes(file: ProtoFile, fullName: string): number[] {
  const parsed = parseAlone(file.name, file.source)
  const pkg = parsed.package ?? ''
  if (pkg !== '' && !fullName.startsWith(`${pkg}.`)) throw notDeclared(file, fullName)
  let slots: readonly Slot[]
  try {
    slots = numbering(parsed, file.source)
  } catch (error) {
    throw new KafkitError('KAFKIT_CONFIG', `${file.name}: ${(error as Error).message}`, { cause: error })
  }
  const indexes: number[] = []
  for (const part of (pkg === '' ? fullName : fullName.slice(pkg.length + 1)).split('.')) {
    const index = slots.findIndex((slot) => !slot.mapEntry && slot.name === part)
    if (index < 0) throw notDeclared(file, fullName)
    indexes.push(index)
    slots = (slots[index] as Slot).nested
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
 * serializer registers, and registries return on `format=serialized`). Both count map entries
 * (see {@link messageIndexes}).
 * @throws Error when the schema is neither (the caller wraps it)
 */
export function indexResolver(schema: string): IndexResolver {
  const trimmed = schema.trim()
  if (/^[A-Za-z0-9+/=\s]+$/.test(trimmed) && !/\bmessage\b|;|\{/.test(trimmed)) return slotResolver(descriptorSlots(Buffer.from(trimmed, 'base64')))
  return slotResolver(numbering(protobuf.parse(schema, new protobuf.Root(), PARSE_OPTIONS), schema))
}

/**
 * Walks the indexes down the message lists. Indexes that name no message in protoc's numbering
 * (past the end, or a map entry: no serializer writes one) are read once more with map entries
 * left out, the numbering kafkit wrote before it counted them, so those records still decode.
 * Where both numberings name a message, protoc's wins: it is what Java and Python write.
 */
function slotResolver(top: readonly Slot[]): IndexResolver {
  const walk = (indexes: readonly number[], withEntries: boolean): Slot | undefined => {
    let slots = top
    let found: Slot | undefined
    for (const index of indexes) {
      found = (withEntries ? slots : slots.filter((slot) => !slot.mapEntry))[index]
      if (!found) return undefined
      slots = found.nested
    }
    return found
  }
  return (indexes) => {
    const exact = walk(indexes, true)
    if (exact && !exact.mapEntry) return exact.fullName
    return walk(indexes, false)?.fullName ?? exact?.fullName
  }
}

interface DescriptorMessage {
  name?: string
  nestedType?: DescriptorMessage[]
  options?: { mapEntry?: boolean }
}

/** The message lists of a `FileDescriptorProto`: protoc wrote them, map entries (marked `map_entry`) included. */
function descriptorSlots(bytes: Buffer): Slot[] {
  const file = descriptor.FileDescriptorProto.decode(bytes) as unknown as { package?: string; messageType?: DescriptorMessage[] }
  const slots = (messages: readonly DescriptorMessage[], prefix: string): Slot[] =>
    messages.map((message) => {
      const name = message.name ?? ''
      const fullName = prefix === '' ? name : `${prefix}.${name}`
      return { name, fullName, mapEntry: message.options?.mapEntry === true, nested: slots(message.nestedType ?? [], fullName) }
    })
  return slots(file.messageType ?? [], file.package ?? '')
}
