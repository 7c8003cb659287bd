/** Renders a Java `.properties` file. Values are written as they are (no escaping is needed for ours). */
export function renderProperties(entries: Record<string, string | number | boolean>): string {
  return `${Object.entries(entries)
    .map(([key, value]) => `${key}=${String(value)}`)
    .join('\n')}\n`
}

/** log4j 1 (reload4j) config sending everything at INFO to stdout, which the testkit writes to a file. */
export const LOG4J_PROPERTIES = renderProperties({
  'log4j.rootLogger': 'INFO, stdout',
  'log4j.appender.stdout': 'org.apache.log4j.ConsoleAppender',
  'log4j.appender.stdout.layout': 'org.apache.log4j.PatternLayout',
  'log4j.appender.stdout.layout.ConversionPattern': '[%d] %p %m (%c)%n',
  'log4j.logger.kafka.request.logger': 'WARN',
  'log4j.logger.org.apache.zookeeper': 'WARN',
  'log4j.logger.state.change.logger': 'WARN',
  'log4j.logger.kafka.controller': 'WARN',
  'log4j.logger.kafka.log.LogCleaner': 'WARN',
})

/** The loggers {@link LOG4J_PROPERTIES} quiets, for the log4j2 form too. */
const QUIET_LOGGERS = ['kafka.request.logger', 'org.apache.zookeeper', 'state.change.logger', 'kafka.controller', 'kafka.log.LogCleaner']

/**
 * The same for Kafka 4.x, which logs through log4j2 (KIP-653): log4j2's properties format,
 * passed as `-Dlog4j2.configurationFile`, needing no YAML or XML parser on the class path.
 */
export const LOG4J2_PROPERTIES = renderProperties({
  status: 'warn',
  'appender.stdout.type': 'Console',
  'appender.stdout.name': 'STDOUT',
  'appender.stdout.layout.type': 'PatternLayout',
  'appender.stdout.layout.pattern': '[%d] %p %m (%c)%n',
  'rootLogger.level': 'INFO',
  'rootLogger.appenderRef.stdout.ref': 'STDOUT',
  ...Object.fromEntries(
    QUIET_LOGGERS.flatMap((name, i) => [
      [`logger.quiet${i}.name`, name],
      [`logger.quiet${i}.level`, 'WARN'],
    ]),
  ),
})

/** The KRaft storage formatter (`kafka-storage.sh format`), in the broker jar on 3.x and 4.x alike. */
export const STORAGE_TOOL_CLASS = 'kafka.tools.StorageTool'

/**
 * Broker settings sized to the cluster: internal topics replicated as far as the broker
 * count allows, so a 1-broker cluster can run transactions and consumer groups at all.
 * ZooKeeper settings only in ZooKeeper mode: Kafka 4.x no longer knows them.
 */
export function clusterSizedDefaults(brokerCount: number, mode: 'zookeeper' | 'kraft' = 'zookeeper'): Record<string, string> {
  const rf = String(Math.min(3, brokerCount))
  const isr = String(Math.min(2, brokerCount))
  return {
    'offsets.topic.replication.factor': rf,
    'transaction.state.log.replication.factor': rf,
    'transaction.state.log.min.isr': isr,
    'default.replication.factor': '1',
    'min.insync.replicas': '1',
    'num.partitions': '1',
    // Tests and demos join groups often; waiting 3 s for more members only slows them.
    'group.initial.rebalance.delay.ms': '0',
    'offsets.topic.num.partitions': '10',
    'transaction.state.log.num.partitions': '10',
    'log.flush.interval.messages': '1000000',
    'delete.topic.enable': 'true',
    // A killed broker is noticed (and its partitions re-led) after this long: 6 s, not 18 s.
    ...(mode === 'zookeeper' ? { 'zookeeper.session.timeout.ms': '6000' } : {}),
    'broker.session.timeout.ms': '6000',
    'broker.heartbeat.interval.ms': '1000',
  }
}
