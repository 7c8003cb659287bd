// The kafkit side of the interop tests: read every record of a topic with a kafkit consumer,
// and write numbered records with a kafkit producer. Each closes the client it made.
import { type AnyTopicContract, Kafkit, type OutgoingMessage } from '@kafkit/core'
import { uniqueName, waitFor } from '@kafkit/testkit'

/** The values of `count` records of `contract` by key, read from the topic's start by a kafkit consumer (dead letters on). */
export async function kafkitReadAll<C extends AnyTopicContract>(brokers: string[], contract: C, count: number, read: (message: { key: unknown; value: unknown }) => unknown = (m) => m.value): Promise<Map<string, unknown>> {
  const kafka = new Kafkit({ clientId: uniqueName('interop-kafkit'), brokers })
  const seen = new Map<string, unknown>()
  try {
    const consumer = kafka.consumer({ groupId: uniqueName('interop-kafkit'), fromBeginning: true })
    consumer.handle(contract, async (message) => void seen.set(String(message.key), read(message)), { deadLetter: true })
    await consumer.start()
    try {
      await waitFor(() => seen.size >= count, { message: `${count} records on ${contract.name}`, timeoutMs: 90_000 })
    } finally {
      await consumer.stop()
    }
  } finally {
    await kafka.close()
  }
  return seen
}

/** Writes `count` records `r0`…`r<count-1>` with `value(i)`, one send each, with a kafkit producer. */
export async function kafkitWriteAll<C extends AnyTopicContract>(brokers: string[], contract: C, count: number, value: (i: number) => OutgoingMessage<C>['value']): Promise<void> {
  const kafka = new Kafkit({ clientId: uniqueName('interop-kafkit'), brokers })
  try {
    const producer = kafka.producer()
    for (let i = 0; i < count; i++) await producer.send(contract, { key: `r${i}`, value: value(i) } as OutgoingMessage<C>)
  } finally {
    await kafka.close()
  }
}
