/**
 * The Debian archive this machine already installs from, read from its own apt
 * configuration, so the testkit names no mirror of its own: `KAFKIT_DEBIAN_MIRROR` when set,
 * else the first `deb` source in `/etc/apt/sources.list` or `/etc/apt/sources.list.d/`
 * (one-line `.list` and deb822 `.sources` files) that serves the machine's own Debian release
 * (`VERSION_CODENAME` of `/etc/os-release`) with the `main` component.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

/** One `deb` source: where, which suites, which components. */
export interface AptSource {
  uri: string
  suites: string[]
  components: string[]
}

/** The sources of a one-line `.list` file (`deb [options] uri suite component...`). */
export function parseListFile(text: string): AptSource[] {
  const sources: AptSource[] = []
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*/, '').trim()
    if (!line.startsWith('deb ') && !line.startsWith('deb\t')) continue
    const words = line.slice(3).trim().replace(/^\[[^\]]*\]\s*/, '').split(/\s+/)
    const [uri, suite, ...components] = words
    if (uri !== undefined && suite !== undefined) sources.push({ uri, suites: [suite], components })
  }
  return sources
}

/** The sources of a deb822 `.sources` file (stanzas of `Types:`, `URIs:`, `Suites:`, `Components:`). */
export function parseSourcesFile(text: string): AptSource[] {
  const sources: AptSource[] = []
  for (const stanza of text.split(/\n\s*\n/)) {
    const fields = new Map<string, string>()
    for (const raw of stanza.split('\n')) {
      const line = raw.replace(/#.*/, '')
      const match = /^([A-Za-z-]+):\s*(.*)$/.exec(line)
      if (match) fields.set(match[1]!.toLowerCase(), match[2]!.trim())
    }
    if (fields.get('enabled')?.toLowerCase() === 'no') continue
    if (!(fields.get('types') ?? '').split(/\s+/).includes('deb')) continue
    const words = (name: string) => (fields.get(name) ?? '').split(/\s+/).filter(Boolean)
    for (const uri of words('uris')) sources.push({ uri, suites: words('suites'), components: words('components') })
  }
  return sources
}

/** The first source that serves `codename` with `main`, or undefined. */
export function pickDebianArchive(sources: readonly AptSource[], codename: string): string | undefined {
  return sources.find((source) => source.suites.includes(codename) && source.components.includes('main'))?.uri
}

/** The Debian archive to debootstrap from, or undefined when this machine's apt names none. */
export function debianMirror(env: NodeJS.ProcessEnv = process.env, etc = '/etc'): string | undefined {
  const override = env['KAFKIT_DEBIAN_MIRROR']
  if (override) return override
  const release = existsSync(join(etc, 'os-release')) ? readFileSync(join(etc, 'os-release'), 'utf8') : ''
  // Only a Debian machine's own archive serves the Debian suite the base image is made of
  // (an Ubuntu archive does not): elsewhere the caller asks for KAFKIT_DEBIAN_MIRROR.
  if (/^ID="?([^"\n]*)"?$/m.exec(release)?.[1] !== 'debian') return undefined
  const codename = /^VERSION_CODENAME="?([^"\n]*)"?$/m.exec(release)?.[1]
  if (!codename) return undefined
  const sources: AptSource[] = []
  const list = join(etc, 'apt', 'sources.list')
  if (existsSync(list)) sources.push(...parseListFile(readFileSync(list, 'utf8')))
  const dir = join(etc, 'apt', 'sources.list.d')
  if (existsSync(dir)) {
    for (const name of readdirSync(dir).sort()) {
      const text = () => readFileSync(join(dir, name), 'utf8')
      if (name.endsWith('.list')) sources.push(...parseListFile(text()))
      else if (name.endsWith('.sources')) sources.push(...parseSourcesFile(text()))
    }
  }
  return pickDebianArchive(sources, codename)
}
