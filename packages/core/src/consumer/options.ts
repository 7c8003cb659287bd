import { type GroupMemberOptions, type ResolvedMemberOptions, resolveMemberOptions } from '../runtime/options.js'

/** Options of `kafka.consumer(...)`: the group, how it reads, the failure policy, the shutdown. */
export interface ConsumerOptions extends GroupMemberOptions {}

/** Consumer options with every default applied. */
export type ResolvedConsumerOptions = ResolvedMemberOptions

/**
 * Applies defaults to consumer options and validates them all at once, at build time.
 * @throws KafkitError `KAFKIT_CONFIG` listing every invalid path
 */
export function resolveConsumerOptions(options: ConsumerOptions): ResolvedConsumerOptions {
  return resolveMemberOptions(options, 'consumer')
}
