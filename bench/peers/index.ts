// The peers of a bench run, prepared once: @platformatic/kafka in a Node 22 child and Kafka's
// Java perf tools. Either may be unavailable on a machine; its rows then say why.
import { prepareJava, type JavaTools } from './java.js'
import { installPlatformatic, type PlatformaticInstall, runPlatformatic } from './platformatic.js'

/** The peers, or for each the reason it is not run. */
export interface Peers {
  platformatic: { install: PlatformaticInstall; run<T>(args: Record<string, unknown>): Promise<T> } | { notRun: string }
  java: JavaTools | { notRun: string }
  cleanup(): Promise<void>
}

/** Prepares both peers; `only` limits them (`KAFKIT_BENCH_PEERS=platformatic,java`, `none`). */
export async function preparePeers(brokers: string[], log: (line: string) => void): Promise<Peers> {
  const wanted = new Set((process.env['KAFKIT_BENCH_PEERS'] ?? 'platformatic,java').split(',').map((name) => name.trim()))
  const off = (name: string) => ({ notRun: `not run: left out by KAFKIT_BENCH_PEERS (${name})` })
  let platformatic: Peers['platformatic'] = off('platformatic')
  if (wanted.has('platformatic')) {
    const install = await installPlatformatic(log, ['peers/platformatic-peer.mjs'])
    platformatic = typeof install === 'string' ? { notRun: install } : { install, run: (args) => runPlatformatic(install, 'platformatic-peer.mjs', { brokers, ...args }) }
  }
  let java: Peers['java'] = off('java')
  if (wanted.has('java')) {
    const tools = await prepareJava(brokers)
    java = typeof tools === 'string' ? { notRun: tools } : tools
  }
  for (const [name, peer] of Object.entries({ platformatic, java })) if ('notRun' in peer) log(`bench: ${name} ${peer.notRun}`)
  return {
    platformatic,
    java,
    cleanup: async () => {
      if (!('notRun' in java)) await java.cleanup()
    },
  }
}

/** Runs `fn` with the peer, or resolves to undefined (and notes why) when it is not available. */
export function notRunNote(name: string, peer: { notRun: string } | object): string[] {
  return 'notRun' in peer ? [`${name} ${(peer as { notRun: string }).notRun}`] : []
}
