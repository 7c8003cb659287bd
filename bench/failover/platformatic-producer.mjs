// @platformatic/kafka's side of bench/failover.ts. Plain JavaScript for a Node 22 child
// process: the package needs a newer Node than the repo runs on. bench/failover.ts copies this
// file beside its own install of the package (outside the repo) and runs it there, so the
// import below resolves to that install. Same records, pacing and batch semantics as the other
// clients: each caller sends a batch and awaits it before its next.
//
// Arguments: brokers topic client records batchSize spanMs callers logFile
// Prints "ready" once the producer has its producer id, then one JSON result line. Writes one
// line per send to logFile: batch, caller, startMs, latencyMs, ok|fail, error (tab-separated).
import { appendFileSync, writeFileSync } from 'node:fs'
import { ProduceAcks, Producer, stringSerializers } from '@platformatic/kafka'

const KEYS = 500
const HUNG_MS = 180_000
const [brokers, topic, client, recordsArg, batchSizeArg, spanMsArg, callersArg, logFile] = process.argv.slice(2)
const records = Number(recordsArg)
const batchSize = Number(batchSizeArg)
const spanMs = Number(spanMsArg)
const callers = Number(callersArg)

const describe = (error) => {
  const nested = Array.isArray(error?.errors) && error.errors.length > 0 ? ` [${error.errors.slice(-3).map((inner) => describe(inner)).join('; ')}]` : ''
  const code = [error?.code, error?.apiId].filter(Boolean).join(' ')
  return `${error?.name ?? 'Error'}${code ? ` ${code}` : ''}: ${error?.message ?? String(error)}${nested}`.replace(/[\t\r\n]+/g, ' ')
}

// Library defaults otherwise: timeout 5000 ms, and for an idempotent producer unlimited retries.
const producer = new Producer({
  clientId: 'bench-failover-platformatic',
  bootstrapBrokers: brokers.split(','),
  serializers: stringSerializers,
  idempotent: true,
  acks: ProduceAcks.ALL,
  // The default delay (1000 ms) as a function, only so the error behind each retry reaches
  // stderr: with unlimited retries the library says nothing until it gives up.
  retryDelay: (_client, operationId, attempt, _retries, error) => {
    if (attempt <= 3 || attempt % 30 === 0) console.error(`retry ${operationId} #${attempt}: ${describe(error)}`)
    return 1000
  },
})
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))
// Every (producer id, epoch) the producer reports after a send, in order of first sight.
const identities = new Set()
const noteIdentity = () => {
  if (producer.producerId !== undefined) identities.add(`${producer.producerId}/${producer.producerEpoch}`)
}

writeFileSync(logFile, '')
await producer.initIdempotentProducer({})
noteIdentity()
console.log('ready')

const batches = Math.ceil(records / batchSize)
const intervalMs = spanMs / batches
const start = performance.now()
let failed = 0
const caller = async (c) => {
  for (let batch = c; batch < batches; batch += callers) {
    const wait = start + batch * intervalMs - performance.now()
    if (wait > 0) await sleep(wait)
    const messages = []
    for (let n = batch * batchSize; n < Math.min(records, (batch + 1) * batchSize); n++) {
      messages.push({ topic, key: `k${n % KEYS}`, value: JSON.stringify({ id: `${client}-${n}`, n }) })
    }
    const began = performance.now()
    let timer
    const hung = new Promise((resolve) => {
      timer = setTimeout(() => resolve({ error: new Error(`no answer within ${HUNG_MS} ms (batch ${batch}, sent at ${Math.round(began - start)} ms); caller stopped`), hung: true }), HUNG_MS)
    })
    const outcome = await Promise.race([producer.send({ messages }).then(() => ({}), (error) => ({ error })), hung])
    clearTimeout(timer)
    noteIdentity()
    if (outcome.error) failed++
    const line = [batch, c, (began - start).toFixed(3), (performance.now() - began).toFixed(3), outcome.error ? 'fail' : 'ok', outcome.error ? describe(outcome.error) : '']
    appendFileSync(logFile, `${line.join('\t')}\n`)
    if (outcome.hung) return
  }
}
await Promise.all(Array.from({ length: callers }, (_, c) => caller(c)))
console.log(JSON.stringify({ client: 'platformatic', batches, failed, elapsedMs: Math.round(performance.now() - start), identities: [...identities] }))
// Force: a send still hanging must not keep the process alive.
await producer.close(true).catch(() => {})
process.exit(0)
