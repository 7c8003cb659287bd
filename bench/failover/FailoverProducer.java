// The Java client's side of bench/failover.ts: the reference for delivery under leader
// failover. Same records, pacing and batch semantics as the Node clients there: each caller
// sends a batch of records, then waits for every one of their futures; a batch fails when any
// future fails. Compiled and run by bench/failover.ts (javac into a temp dir, the testkit's
// cached Kafka jars as classpath).
//
// Arguments: brokers topic client records batchSize spanMs callers logFile
// Prints "ready" once metadata is fetched, then one JSON result line. Writes one line per send
// to logFile: batch, caller, startMs, latencyMs, ok|fail, error (tab-separated).

import java.io.BufferedWriter;
import java.io.FileOutputStream;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.StringSerializer;

public final class FailoverProducer {
  private static final int KEYS = 500;

  public static void main(String[] args) throws Exception {
    if (args.length != 8) {
      System.err.println("usage: FailoverProducer brokers topic client records batchSize spanMs callers logFile");
      System.exit(2);
    }
    String brokers = args[0];
    String topic = args[1];
    String client = args[2];
    int records = Integer.parseInt(args[3]);
    int batchSize = Integer.parseInt(args[4]);
    long spanMs = Long.parseLong(args[5]);
    int callers = Integer.parseInt(args[6]);
    String logFile = args[7];

    Properties props = new Properties();
    props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, brokers);
    props.put(ProducerConfig.CLIENT_ID_CONFIG, "bench-failover-java");
    props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
    props.put(ProducerConfig.ACKS_CONFIG, "all");
    // delivery.timeout.ms, retries, max.in.flight: the client's defaults (120 s, MAX_INT, 5).
    props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());

    int batches = (records + batchSize - 1) / batchSize;
    double intervalNs = spanMs * 1e6 / batches;
    AtomicInteger failed = new AtomicInteger();
    try (KafkaProducer<String, String> producer = new KafkaProducer<>(props);
        PrintWriter log = new PrintWriter(new BufferedWriter(new OutputStreamWriter(new FileOutputStream(logFile), StandardCharsets.UTF_8)))) {
      // Metadata now, so the first batch does not wait for it (the Node clients connect first too).
      producer.partitionsFor(topic);
      System.out.println("ready");
      System.out.flush();
      long start = System.nanoTime();
      List<Thread> threads = new ArrayList<>();
      for (int c = 0; c < callers; c++) {
        final int caller = c;
        Thread thread = new Thread(() -> {
          for (int batch = caller; batch < batches; batch += callers) {
            long waitNs = start + (long) (batch * intervalNs) - System.nanoTime();
            if (waitNs > 0) sleepNs(waitNs);
            long began = System.nanoTime();
            String error = sendBatch(producer, topic, client, batch * batchSize, Math.min(records, (batch + 1) * batchSize));
            long ended = System.nanoTime();
            if (error != null) failed.incrementAndGet();
            synchronized (log) {
              log.printf(Locale.ROOT, "%d\t%d\t%.3f\t%.3f\t%s\t%s%n", batch, caller, (began - start) / 1e6, (ended - began) / 1e6, error == null ? "ok" : "fail", error == null ? "" : error);
            }
          }
        }, "caller-" + c);
        thread.start();
        threads.add(thread);
      }
      for (Thread thread : threads) thread.join();
      System.out.printf(Locale.ROOT, "{\"client\":\"java\",\"batches\":%d,\"failed\":%d,\"elapsedMs\":%.0f}%n", batches, failed.get(), (System.nanoTime() - start) / 1e6);
    }
  }

  /** Sends records first..last-1 and waits for all of them; null when all were acknowledged. */
  private static String sendBatch(KafkaProducer<String, String> producer, String topic, String client, int first, int last) {
    List<Future<RecordMetadata>> futures = new ArrayList<>();
    String error = null;
    try {
      for (int n = first; n < last; n++) {
        String value = "{\"id\":\"" + client + "-" + n + "\",\"n\":" + n + "}";
        futures.add(producer.send(new ProducerRecord<>(topic, "k" + (n % KEYS), value)));
      }
    } catch (RuntimeException e) {
      error = describe(e);
    }
    // Wait for every future, even after one failed: the next batch must not overtake this one.
    for (Future<RecordMetadata> future : futures) {
      try {
        future.get();
      } catch (ExecutionException e) {
        if (error == null) error = describe(e.getCause());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        if (error == null) error = "interrupted";
      }
    }
    return error;
  }

  private static String describe(Throwable error) {
    return (error.getClass().getSimpleName() + ": " + error.getMessage()).replaceAll("[\\t\\r\\n]+", " ");
  }

  private static void sleepNs(long ns) {
    try {
      Thread.sleep(ns / 1_000_000, (int) (ns % 1_000_000));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
