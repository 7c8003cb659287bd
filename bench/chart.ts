// The bench's picture: an SVG written by hand (no charting dependency). Left panel: kafkit's
// ratio to raw kafkajs and to the Java tools for each throughput row, with the 0.95 target.
// Right panel: end-to-end latency percentiles of every client, at half load and at the maximum.
import type { Row } from './measure.js'

const CLIENTS = [
  { key: 'kafkit', color: '#2563eb' },
  { key: 'kafkajs', color: '#9ca3af' },
  { key: 'platformatic', color: '#16a34a' },
  { key: 'java', color: '#f59e0b' },
] as const

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}

function text(x: number, y: number, content: string, attributes = ''): string {
  return `<text x="${x.toFixed(1)}" y="${y.toFixed(1)}" ${attributes}>${escape(content)}</text>`
}

function rect(x: number, y: number, width: number, height: number, fill: string, title?: string): string {
  const body = title === undefined ? '' : `<title>${escape(title)}</title>`
  return `<rect x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${Math.max(0, width).toFixed(1)}" height="${height.toFixed(1)}" fill="${fill}">${body}</rect>`
}

/** Ratio panel: one pair of bars per throughput row. Returns the SVG parts and the height used. */
function ratioPanel(rows: Row[], x0: number, y0: number, width: number): { parts: string[]; height: number } {
  const parts: string[] = []
  const throughput = rows.filter((row) => row.better !== 'lower')
  const labelWidth = 330
  const barArea = width - labelWidth - 20
  // Capped at 2: a ratio far above (kafkit batches concurrent sends, kafkajs does not) would squeeze
  // the 0.95 line against the axis; such bars end in a `»` and their label keeps the value.
  const max = Math.min(2, Math.max(1.2, ...throughput.map((row) => row.ratio), ...throughput.map((row) => row.ratioJava ?? 0)))
  const scale = (ratio: number) => (Math.min(ratio, max) / max) * barArea
  const rowHeight = 30
  parts.push(text(x0, y0, 'kafkit / other, throughput (above 1: kafkit faster)', 'font-weight="bold"'))
  const top = y0 + 14
  const bottom = top + throughput.length * rowHeight
  throughput.forEach((row, i) => {
    const y = top + i * rowHeight
    const label = row.case.length > 56 ? `${row.case.slice(0, 54)}…` : row.case
    parts.push(text(x0 + labelWidth - 6, y + 15, label, `text-anchor="end" font-size="11"${row.target?.met === false ? ' fill="#b91c1c"' : ''}`))
    parts.push(rect(x0 + labelWidth, y + 4, scale(row.ratio), 10, CLIENTS[1].color, `kafkit/kafkajs ${row.ratio}`))
    parts.push(text(x0 + labelWidth + scale(row.ratio) + 4, y + 13, `${row.ratio > max ? '» ' : ''}${row.ratio.toFixed(2)} vs kafkajs`, 'font-size="10"'))
    if (row.ratioJava !== null && row.ratioJava !== undefined) {
      parts.push(rect(x0 + labelWidth, y + 15, scale(row.ratioJava), 10, CLIENTS[3].color, `kafkit/java ${row.ratioJava}`))
      parts.push(text(x0 + labelWidth + scale(row.ratioJava) + 4, y + 24, `${row.ratioJava > max ? '» ' : ''}${row.ratioJava.toFixed(2)} vs Java`, 'font-size="10"'))
    }
  })
  for (const [ratio, label, dash] of [[1, '1.0', ''], [0.95, '0.95 target', 'stroke-dasharray="4 3"']] as const) {
    const x = x0 + labelWidth + scale(ratio)
    parts.push(`<line x1="${x.toFixed(1)}" y1="${top}" x2="${x.toFixed(1)}" y2="${bottom}" stroke="#111" stroke-width="1" ${dash}/>`)
    parts.push(text(x, bottom + 12, label, `font-size="10" text-anchor="${ratio === 1 ? 'start' : 'end'}"`))
  }
  return { parts, height: bottom + 20 - y0 }
}

/** Latency panel: per load, a group of bars per percentile, one bar per client, log scale. */
function latencyPanel(rows: Row[], x0: number, y0: number, width: number): { parts: string[]; height: number } {
  const parts: string[] = []
  const latency = rows.filter((row) => row.better === 'lower')
  if (latency.length === 0) return { parts, height: 0 }
  parts.push(text(x0, y0, 'end-to-end latency, ms (log scale; lower is better)', 'font-weight="bold"'))
  const values = latency.flatMap((row) => [row.kafkit, row.baseline, row.platformatic ?? Number.NaN, row.java ?? Number.NaN]).filter((v) => Number.isFinite(v) && v > 0)
  const lo = Math.max(0.1, Math.min(...values) / 1.5)
  const hi = Math.max(...values) * 1.5
  const plotHeight = 220
  const top = y0 + 30
  const scale = (v: number) => (Math.log(Math.max(v, lo)) - Math.log(lo)) / (Math.log(hi) - Math.log(lo))
  const groupWidth = (width - 50) / latency.length
  const barWidth = Math.min(18, (groupWidth - 10) / CLIENTS.length)
  for (const tick of [0.1, 1, 10, 100, 1000, 10000].filter((t) => t >= lo && t <= hi)) {
    const y = top + plotHeight - scale(tick) * plotHeight
    parts.push(`<line x1="${x0 + 40}" y1="${y.toFixed(1)}" x2="${x0 + width}" y2="${y.toFixed(1)}" stroke="#e5e7eb"/>`)
    parts.push(text(x0 + 36, y + 3, String(tick), 'font-size="10" text-anchor="end"'))
  }
  latency.forEach((row, i) => {
    const gx = x0 + 50 + i * groupWidth
    const entries = [row.kafkit, row.baseline, row.platformatic, row.java] as (number | null | undefined)[]
    entries.forEach((value, c) => {
      if (value === null || value === undefined || !Number.isFinite(value)) return
      const h = Math.max(1, scale(value) * plotHeight)
      parts.push(rect(gx + c * barWidth, top + plotHeight - h, barWidth - 2, h, CLIENTS[c]!.color, `${CLIENTS[c]!.key} ${value} ms`))
    })
    const label = row.case.replace(/^latency /, '').replace(/, .*$/, '')
    parts.push(text(gx + (CLIENTS.length * barWidth) / 2, top + plotHeight + 14, label, 'font-size="10" text-anchor="middle"'))
  })
  return { parts, height: plotHeight + 50 }
}

/** The whole chart as an SVG document. */
export function writeChart(rows: Row[], labels: { title: string; subtitle: string }): string {
  const width = 1100
  const parts: string[] = []
  parts.push(text(20, 28, labels.title, 'font-size="16" font-weight="bold"'))
  parts.push(text(20, 46, labels.subtitle, 'font-size="11" fill="#4b5563"'))
  CLIENTS.forEach((client, i) => {
    parts.push(rect(20 + i * 130, 58, 12, 12, client.color))
    parts.push(text(36 + i * 130, 68, client.key === 'kafkajs' ? 'kafkajs / vs kafkajs' : client.key === 'java' ? 'Java / vs Java' : client.key, 'font-size="11"'))
  })
  const ratios = ratioPanel(rows, 20, 96, width - 40)
  parts.push(...ratios.parts)
  const latency = latencyPanel(rows, 20, 96 + ratios.height + 20, width - 40)
  parts.push(...latency.parts)
  const height = 96 + ratios.height + 20 + latency.height + 10
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, sans-serif">\n<rect width="100%" height="100%" fill="#fff"/>\n${parts.join('\n')}\n</svg>\n`
}
