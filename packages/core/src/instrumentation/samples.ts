// What one produce or one handler run measured, and the batch-size buckets: shared by the
// OpenTelemetry recorder (metrics.ts) and the Prometheus registry (prometheus.ts).

/** Where a produce happened. */
export interface ProduceSample {
  topic: string
  messages: number
  durationS: number
  /** The KafkitError code when the send failed. */
  errorCode?: string
}

/** One handler run (a message, or a batch for batch handlers). */
export interface ProcessSample {
  groupId: string
  topic: string
  messages: number
  durationS: number
  errorCode?: string
}

/** Buckets of message counts per batch. */
export const BATCH_BUCKETS = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000]
