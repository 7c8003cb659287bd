import { readFile } from 'node:fs/promises'
import { dirname, resolve } from 'node:path'
import { avro } from '@kafkit/avro'
import { loadProtoFile, type ProtoFile, protoMessages } from '@kafkit/protobuf'
import { type RegistrySchema, type SchemaReference, SchemaRegistry, type SchemaType, topicNameStrategy } from '@kafkit/schema-registry'
import { type CliIo, type CommandGroup, ExitCode, UsageError } from '../command.js'
import { parse } from '../internal/args.js'
import { registryConnection } from '../internal/connection.js'

const usage = `kafkit schema check <file> (--subject <subject> | --topic <topic> [--key]) [--registry <url>] [--json]

Asks the schema registry whether <file> may become the next version of the subject under
the subject's compatibility rule. A CI gate between teams. The file is an Avro schema
(.avsc), a Protobuf file (.proto) or a JSON Schema (.json); --type says which for other names.

  --subject <s>     the registry subject
  --topic <t>       or: the topic, for the TopicName subject <t>-value (<t>-key with --key)
  --type <t>        avro, protobuf or json (default: from the file's extension)
  -I, --include <d> .proto only: a directory imports are relative to (repeatable; default:
                    the file's directory). Each import must be registered already, under
                    its import path as the subject (the Java and Python clients' default)
  --registry <url>  Confluent-compatible API base URL (default: $SCHEMA_REGISTRY_URL);
                    Apicurio: http://host:8080/apis/ccompat/v7. Basic auth and timeout come
                    from $SCHEMA_REGISTRY_USERNAME, _PASSWORD and _REQUEST_TIMEOUT_MS (with
                    --registry only when it names that same registry), or from the URL
                    (https://key:secret@host)
  --json            print the verdict as JSON

Exit codes: 0 compatible (or the subject has no versions yet), 1 incompatible,
2 usage error or invalid schema file, 3 registry failure or unreachable.`

async function check(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse(args, {
    subject: { type: 'string' },
    topic: { type: 'string' },
    key: { type: 'boolean', default: false },
    registry: { type: 'string' },
    json: { type: 'boolean', default: false },
    type: { type: 'string' },
    include: { type: 'string', short: 'I', multiple: true },
  })
  if (positionals.length !== 1) throw new UsageError('give exactly one schema file')
  const file = resolve(io.cwd, positionals[0] as string)
  if (!values.subject === !values.topic) throw new UsageError('give --subject or --topic (one of them)')
  const connection = registryConnection(values.registry, io.env)
  if (!connection) throw new UsageError('give --registry <url> or set SCHEMA_REGISTRY_URL')
  const subject = values.subject ?? topicNameStrategy({ topic: values.topic as string, field: values.key ? 'key' : 'value', recordName: undefined })

  const schemaType = typeOf(file, values.type)
  const registry = new SchemaRegistry(connection)
  let schema: RegistrySchema
  try {
    // Parse locally first: a broken file is the author's error, not the registry's.
    schema = await readSchema(file, schemaType, values.include?.map((dir) => resolve(io.cwd, dir)) ?? [dirname(file)], registry)
  } catch (error) {
    if ((error as { code?: string }).code === 'KAFKIT_REGISTRY') throw error
    io.err(`kafkit schema check: ${positionals[0]}: ${(error as Error).message}`)
    return ExitCode.usage
  }

  const verdict = await registry.checkCompatibility(subject, schema)
  const level = await registry.getCompatibility(subject).catch(() => undefined)
  if (values.json) {
    io.out(JSON.stringify({ subject, file: positionals[0], compatibility: level ?? null, ...verdict }))
  } else if (!verdict.subjectExists) {
    io.out(`compatible: subject "${subject}" has no versions yet, any schema is accepted`)
  } else if (verdict.compatible) {
    io.out(`compatible: ${positionals[0]} may become the next version of "${subject}"${level ? ` (${level})` : ''}`)
  } else {
    io.err(`INCOMPATIBLE: ${positionals[0]} would be refused by subject "${subject}"${level ? ` (${level})` : ''}`)
    for (const message of verdict.messages) io.err(`  - ${message}`)
  }
  return verdict.compatible ? ExitCode.ok : ExitCode.failed
}

const EXTENSIONS: Record<string, SchemaType> = { '.avsc': 'AVRO', '.proto': 'PROTOBUF', '.json': 'JSON' }

function typeOf(file: string, given: string | undefined): SchemaType {
  if (given !== undefined) {
    const type = { avro: 'AVRO', protobuf: 'PROTOBUF', json: 'JSON' }[given.toLowerCase()] as SchemaType | undefined
    if (!type) throw new UsageError(`--type must be avro, protobuf or json, got "${given}"`)
    return type
  }
  const type = Object.entries(EXTENSIONS).find(([extension]) => file.endsWith(extension))?.[1]
  if (!type) throw new UsageError('cannot tell the schema type from the file name: give --type avro|protobuf|json')
  return type
}

/** The file as the registry takes it, checked locally; a .proto's imports become references to their registered versions. */
async function readSchema(file: string, type: SchemaType, includeDirs: string[], registry: SchemaRegistry): Promise<RegistrySchema> {
  if (type === 'PROTOBUF') {
    const proto = await loadProtoFile(file, { includeDirs })
    // Builds the whole import graph and resolves every type: a typo fails here, with its line.
    protoMessages(proto)
    return { schema: proto.source, schemaType: 'PROTOBUF', references: await references(proto, registry) }
  }
  const text = await readFile(file, 'utf8')
  const parsed = JSON.parse(text) as unknown
  if (type === 'AVRO') {
    avro(parsed)
    return { schema: text }
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('a JSON Schema is a JSON object (or true/false)')
  return { schema: text, schemaType: 'JSON' }
}

async function references(file: ProtoFile, registry: SchemaRegistry): Promise<SchemaReference[]> {
  const found: SchemaReference[] = []
  for (const imported of file.imports ?? []) {
    const schema = { schema: imported.source, schemaType: 'PROTOBUF' as const, references: await references(imported, registry) }
    const version = (await registry.lookupVersion(imported.name, schema)) ?? (await registry.latest(imported.name))
    if (!version) throw new Error(`imports ${imported.name}, which is not registered under subject "${imported.name}": register it first`)
    found.push({ name: imported.name, subject: imported.name, version: version.version })
  }
  return found
}

/** `kafkit schema …`: schema registry checks. */
export const schemaCommand: CommandGroup = {
  name: 'schema',
  summary: 'schema registry: check a schema against a subject (CI gate)',
  usage,
  async run(args, io) {
    const [sub, ...rest] = args
    if (sub !== 'check') throw new UsageError(sub ? `unknown subcommand "schema ${sub}"` : 'missing subcommand')
    return check(rest, io)
  },
}
