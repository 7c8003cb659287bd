import { parseArgs, type ParseArgsConfig } from 'node:util'
import { UsageError } from '../command.js'

type Options = NonNullable<ParseArgsConfig['options']>
type Config<O extends Options> = { args: string[]; options: O; allowPositionals: true; strict: true }

/** `node:util` parseArgs (positionals allowed, unknown options refused), its errors turned into {@link UsageError}. */
export function parse<O extends Options>(args: string[], options: O): ReturnType<typeof parseArgs<Config<O>>> {
  try {
    return parseArgs<Config<O>>({ args, options, allowPositionals: true, strict: true })
  } catch (error) {
    throw new UsageError((error as Error).message)
  }
}
