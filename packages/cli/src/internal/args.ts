import { parseArgs, type ParseArgsConfig } from 'node:util'
import { UsageError } from '../command.js'

type Options = NonNullable<ParseArgsConfig['options']>

/** `node:util` parseArgs, with its errors turned into {@link UsageError}. */
export function parse<O extends Options>(args: string[], options: O) {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true })
  } catch (error) {
    throw new UsageError((error as Error).message)
  }
}
