// @platformatic/kafka's side of the throughput and latency cases. Plain JavaScript for a Node 22
// child: bench/peers/platformatic.ts copies this file beside its own install of the package
// (outside the repo) and runs it there with one JSON argument; it prints one JSON result line.
// The records and the work per record are those of the in-process sides (bench/cases/records.ts):
// the same JSON shape validated by the same zod schema.
//
//   {"mode":"produce","brokers":[..],"topic":"t","durationMs":3000,"callers":64,"payloadBytes":940}
//     -> {"rate":n}            callers each await a one-record send before the next
//   {"mode":"consume","brokers":[..],"topic":"t","records":n,"groupId":"g"}
//     -> {"rate":n}            first record to last, from the earliest offset, autocommit
//   {"mode":"latency","brokers":[..],"topic":"t","durationMs":n,"rate":r|0,"callers":c,"payloadBytes":940,"groupId":"g"}
//     -> {"rate":n,"p50":ms,"p99":ms,"p999":ms}   producer -> broker -> consumer, one process
import { Consumer, MessagesStreamModes, ProduceAcks, Producer, stringDeserializers, stringSerializers } from '@platformatic/kafka'
import { z } from 'zod'

const args = JSON.parse(process.argv[2])
const Event = z.object({ id: z.string(), kind: z.enum(['a', 'b', 'c']), at: z.number(), payload: z.string() })
const now = () => performance.timeOrigin + performance.now()
const filler = 'x'.repeat(args.payloadBytes ?? 940)
const encode = (n, at) => JSON.stringify(Event.parse({ id: `event-${n}`, kind: 'b', at, payload: filler }))

function producer() {
  // The guarantees kafkit's producer has by default: idempotent, acks=all.
  return new Producer({ clientId: 'bench-platformatic', bootstrapBrokers: args.brokers, serializers: stringSerializers, idempotent: true, acks: ProduceAcks.ALL })
}

function consumer(groupId) {
  return new Consumer({ clientId: 'bench-platformatic', groupId, bootstrapBrokers: args.brokers, deserializers: stringDeserializers, maxWaitTime: 1000 })
}

async function produce() {
  const p = producer()
  await p.initIdempotentProducer({})
  let sent = 0
  const start = performance.now()
  const end = start + args.durationMs
  const caller = async (c) => {
    for (let n = c; performance.now() < end; n += args.callers) {
      await p.send({ messages: [{ topic: args.topic, key: `key-${n % 500}`, value: encode(n, n) }] })
      sent++
    }
  }
  await Promise.all(Array.from({ length: args.callers }, (_, c) => caller(c)))
  const rate = sent / ((performance.now() - start) / 1000)
  await p.close()
  return { rate }
}

async function consume() {
  const c = consumer(args.groupId)
  const stream = await c.consume({ topics: [args.topic], mode: MessagesStreamModes.EARLIEST, autocommit: true })
  let first = 0
  let seen = 0
  const rate = await new Promise((resolve, reject) => {
    stream.on('error', reject)
    stream.on('data', (message) => {
      first ||= performance.now()
      Event.parse(JSON.parse(message.value))
      if (++seen === args.records) resolve(args.records / ((performance.now() - first) / 1000))
    })
  })
  await stream.close()
  await c.close(true)
  return { rate }
}

async function latency() {
  const p = producer()
  await p.initIdempotentProducer({})
  const c = consumer(args.groupId)
  const stream = await c.consume({ topics: [args.topic], mode: MessagesStreamModes.LATEST, autocommit: true })
  const latencies = []
  let measuring = false
  let probeSeen
  const probe = new Promise((resolve) => (probeSeen = resolve))
  stream.on('data', (message) => {
    const value = Event.parse(JSON.parse(message.value))
    if (value.id === 'probe') probeSeen()
    else if (measuring) latencies.push(now() - value.at)
  })
  // The group is joined and fetching once a probe comes through; only then does the clock run.
  const probing = setInterval(() => void p.send({ messages: [{ topic: args.topic, key: 'probe', value: JSON.stringify({ id: 'probe', kind: 'a', at: 0, payload: '' }) }] }), 200)
  await probe
  clearInterval(probing)
  measuring = true
  const start = performance.now()
  const end = start + args.durationMs
  let sent = 0
  if (args.rate > 0) {
    // Open loop: send what is due every millisecond or so, never waiting for acknowledgements.
    const pending = []
    while (performance.now() < end) {
      const due = Math.floor(((performance.now() - start) / 1000) * args.rate)
      while (sent < due) {
        const n = sent++
        pending.push(p.send({ messages: [{ topic: args.topic, key: `key-${n % 500}`, value: encode(n, now()) }] }))
      }
      await new Promise((resolve) => setTimeout(resolve, 1))
    }
    await Promise.all(pending)
  } else {
    const caller = async (c) => {
      for (let n = c; performance.now() < end; n += args.callers) {
        await p.send({ messages: [{ topic: args.topic, key: `key-${n % 500}`, value: encode(n, now()) }] })
        sent++
      }
    }
    await Promise.all(Array.from({ length: args.callers }, (_, c) => caller(c)))
  }
  const elapsed = performance.now() - start
  const deadline = performance.now() + 30_000
  while (latencies.length < sent && performance.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20))
  await stream.close()
  await c.close(true)
  await p.close()
  latencies.sort((a, b) => a - b)
  const at = (p) => latencies[Math.min(latencies.length - 1, Math.max(0, Math.ceil((p / 100) * latencies.length) - 1))]
  return { rate: sent / (elapsed / 1000), received: latencies.length, sent, p50: at(50), p99: at(99), p999: at(99.9) }
}

const modes = { produce, consume, latency }
const result = await modes[args.mode]()
console.log(JSON.stringify(result))
process.exit(0)
