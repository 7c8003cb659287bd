import { readFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import { avro, SchemaRegistry, topicNameStrategy } from '@kafkit/avro'
import { type CliIo, type CommandGroup, ExitCode, UsageError } from '../command.js'
import { parse } from '../internal/args.js'
import { registryConnection } from '../internal/connection.js'

const usage = `kafkit schema check <file.avsc> (--subject <subject> | --topic <topic> [--key]) [--registry <url>] [--json]

Asks the schema registry whether <file.avsc> may become the next version of the subject
under the subject's compatibility rule. A CI gate between teams.

  --subject <s>     the registry subject
  --topic <t>       or: the topic, for the TopicName subject <t>-value (<t>-key with --key)
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
  })
  if (positionals.length !== 1) throw new UsageError('give exactly one schema file')
  const file = resolve(io.cwd, positionals[0] as string)
  if (!values.subject === !values.topic) throw new UsageError('give --subject or --topic (one of them)')
  const connection = registryConnection(values.registry, io.env)
  if (!connection) throw new UsageError('give --registry <url> or set SCHEMA_REGISTRY_URL')
  const subject = values.subject ?? topicNameStrategy({ topic: values.topic as string, field: values.key ? 'key' : 'value', recordName: undefined })

  let text: string
  try {
    text = await readFile(file, 'utf8')
    // Parse locally first: a broken file is the author's error, not the registry's.
    avro(JSON.parse(text))
  } catch (error) {
    io.err(`kafkit schema check: ${positionals[0]}: ${(error as Error).message}`)
    return ExitCode.usage
  }

  const registry = new SchemaRegistry(connection)
  const verdict = await registry.checkCompatibility(subject, text)
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
