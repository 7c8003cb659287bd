import type { CommandGroup } from '../command.js'
import { codegenCommand } from './codegen.js'
import { dlqCommand } from './dlq.js'
import { schemaCommand } from './schema.js'

/** Every command group, in `kafkit --help` order. Add a group: one file here, one line below. */
export const commandGroups: readonly CommandGroup[] = [schemaCommand, codegenCommand, dlqCommand]
