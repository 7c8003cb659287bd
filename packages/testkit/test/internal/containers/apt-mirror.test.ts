// The base image's Debian archive comes from the machine's own apt configuration, never a built-in host.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { debianMirror, parseListFile, parseSourcesFile } from '../../../src/internal/containers/apt-mirror.js'

const dirs: string[] = []
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})

function etc(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'kafkit-etc-'))
  dirs.push(root)
  mkdirSync(join(root, 'apt', 'sources.list.d'), { recursive: true })
  for (const [path, text] of Object.entries(files)) writeFileSync(join(root, path), text)
  return root
}

const DEB822 = `Types: deb
URIs: http://archive.example.invalid/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://archive.example.invalid/debian-security
Suites: bookworm-security
Components: main
`

describe('debianMirror', () => {
  it('reads a deb822 .sources file and takes the source of the machine release', () => {
    const root = etc({ 'os-release': 'ID=debian\nVERSION_CODENAME=bookworm\n', 'apt/sources.list.d/debian.sources': DEB822 })
    expect(debianMirror({}, root)).toBe('http://archive.example.invalid/debian')
  })

  it('reads one-line .list files, skipping options, comments and other suites', () => {
    const root = etc({
      'os-release': 'ID=debian\nVERSION_CODENAME="trixie"\n',
      'apt/sources.list': '# deb http://old.example.invalid/debian trixie main\ndeb [arch=amd64] https://vendor.example.invalid/apt stable main\ndeb [signed-by=/k.gpg] http://mirror.example.invalid/debian trixie main contrib\n',
    })
    expect(debianMirror({}, root)).toBe('http://mirror.example.invalid/debian')
  })

  it('lets KAFKIT_DEBIAN_MIRROR win, and says undefined when apt names no archive for the release', () => {
    const root = etc({ 'os-release': 'ID=debian\nVERSION_CODENAME=trixie\n', 'apt/sources.list.d/debian.sources': DEB822 })
    expect(debianMirror({}, root)).toBeUndefined()
    expect(debianMirror({ KAFKIT_DEBIAN_MIRROR: 'http://own.example.invalid/debian' }, root)).toBe('http://own.example.invalid/debian')
  })

  it('names no archive on a machine that is not Debian (an Ubuntu archive has no Debian suites)', () => {
    const root = etc({ 'os-release': 'ID=ubuntu\nID_LIKE=debian\nVERSION_CODENAME=noble\n', 'apt/sources.list': 'deb http://archive.example.invalid/ubuntu noble main\n' })
    expect(debianMirror({}, root)).toBeUndefined()
  })

  it('ignores disabled deb822 stanzas and deb-src entries', () => {
    expect(parseSourcesFile('Types: deb\nEnabled: no\nURIs: http://a.invalid/d\nSuites: x\nComponents: main\n')).toEqual([])
    expect(parseListFile('deb-src http://a.invalid/d x main\n')).toEqual([])
  })
})
