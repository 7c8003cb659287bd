#!/bin/bash
# Entrypoint of the locally built kafkit Kafka and ZooKeeper images.
#
# It understands the environment-variable convention of the Confluent images
# (confluentinc/cp-kafka, confluentinc/cp-zookeeper), so the testkit configures both image
# sets the same way:
#   KAFKA_FOO_BAR=x          -> foo.bar=x in server.properties ("__" -> "_", "___" -> "-")
#   CLUSTER_ID=...           -> KRaft: the storage is formatted with it on first start
#   KAFKA_HEAP_OPTS, KAFKA_JVM_PERFORMANCE_OPTS, KAFKA_OPTS, KAFKA_LOG4J_ROOT_LOGLEVEL
#   ZOOKEEPER_CLIENT_PORT, ZOOKEEPER_TICK_TIME, ZOOKEEPER_FOO_BAR -> fooBar in zoo.cfg
#   (the ZooKeeper role takes its heap from KAFKA_HEAP_OPTS too, as cp-zookeeper does)
# The role comes from KAFKIT_ROLE (the ZooKeeper image sets it to "zookeeper").
set -euo pipefail

LIBS=/opt/kafka/libs
CONF_DIR=/etc/kafkit
mkdir -p "$CONF_DIR"

# Logging: everything to stdout, which the container engine keeps. Kafka up to 3.9 logs
# through reload4j (log4j 1 properties); Kafka 4.x through log4j2 (its jar set has log4j-core).
root_level=${KAFKA_LOG4J_ROOT_LOGLEVEL:-${ZOOKEEPER_LOG4J_ROOT_LOGLEVEL:-INFO}}
log4j2_jars=("$LIBS"/log4j-core-*.jar)
if [[ -e ${log4j2_jars[0]} ]]; then
  cat > "$CONF_DIR/log4j2.properties" <<LOG4J2
status=warn
appender.stdout.type=Console
appender.stdout.name=STDOUT
appender.stdout.layout.type=PatternLayout
appender.stdout.layout.pattern=[%d] %p %m (%c)%n
rootLogger.level=$root_level
rootLogger.appenderRef.stdout.ref=STDOUT
logger.request.name=kafka.request.logger
logger.request.level=WARN
logger.statechange.name=state.change.logger
logger.statechange.level=WARN
LOG4J2
  log_opts="-Dlog4j2.configurationFile=$CONF_DIR/log4j2.properties"
else
  cat > "$CONF_DIR/log4j.properties" <<LOG4J
log4j.rootLogger=$root_level, stdout
log4j.appender.stdout=org.apache.log4j.ConsoleAppender
log4j.appender.stdout.layout=org.apache.log4j.PatternLayout
log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka.request.logger=WARN
log4j.logger.state.change.logger=WARN
log4j.logger.kafka.controller=INFO
log4j.logger.org.apache.zookeeper=INFO
LOG4J
  log_opts="-Dlog4j.configuration=file:$CONF_DIR/log4j.properties"
fi

# JVM options common to both roles. Small heaps and the serial collector: these are test
# clusters on laptops and CI runners, where start-up time and memory matter more than throughput.
jvm_opts() {
  local heap=$1 perf=$2 extra=$3
  # shellcheck disable=SC2086 # the *_OPTS variables are word lists by convention
  echo $heap $perf $extra -Djava.awt.headless=true $log_opts
}

# KAFKA_FOO_BAR -> foo.bar, with Confluent's escapes: ___ -> "-", __ -> "_", _ -> ".".
env_to_props() {
  local prefix=$1 name key
  while IFS='=' read -r name _; do
    [[ $name == "$prefix"* ]] || continue
    case $name in
      # Launcher settings, not broker properties (the same exclusions as the Confluent images).
      KAFKA_VERSION | KAFKA_HEAP_OPTS | KAFKA_LOG4J_OPTS | KAFKA_OPTS | KAFKA_JMX_OPTS | \
        KAFKA_JVM_PERFORMANCE_OPTS | KAFKA_GC_LOG_OPTS | KAFKA_LOG4J_ROOT_LOGLEVEL | \
        KAFKA_LOG4J_LOGGERS | KAFKA_TOOLS_LOG4J_LOGLEVEL) continue ;;
    esac
    key=${name#"$prefix"}
    key=${key,,}
    key=${key//___/-}
    key=${key//__/$'\x01'}
    key=${key//_/.}
    key=${key//$'\x01'/_}
    printf '%s=%s\n' "$key" "${!name}"
  done < <(env)
}

# ZOOKEEPER_FOO_BAR -> fooBar, as cp-zookeeper names zoo.cfg keys.
zk_env_to_props() {
  local name key out part
  while IFS='=' read -r name _; do
    [[ $name == ZOOKEEPER_* ]] || continue
    case $name in
      ZOOKEEPER_CLIENT_PORT | ZOOKEEPER_TICK_TIME | ZOOKEEPER_LOG4J_ROOT_LOGLEVEL) continue ;;
    esac
    key=${name#ZOOKEEPER_}
    out=''
    IFS=_ read -ra parts <<<"${key,,}"
    for part in "${parts[@]}"; do
      if [[ -z $out ]]; then out=$part; else out+=${part^}; fi
    done
    printf '%s=%s\n' "$out" "${!name}"
  done < <(env)
}

case "${KAFKIT_ROLE:-kafka}" in
  zookeeper)
    : "${ZOOKEEPER_CLIENT_PORT:?ZOOKEEPER_CLIENT_PORT is required (e.g. 2181)}"
    mkdir -p /var/lib/zookeeper/data /var/lib/zookeeper/log
    {
      echo "dataDir=/var/lib/zookeeper/data"
      echo "dataLogDir=/var/lib/zookeeper/log"
      echo "clientPort=$ZOOKEEPER_CLIENT_PORT"
      echo "tickTime=${ZOOKEEPER_TICK_TIME:-2000}"
      # The admin web server would take port 8080 and is not needed by tests.
      echo "admin.enableServer=false"
      echo "4lw.commands.whitelist=ruok,srvr,stat,mntr"
      zk_env_to_props
    } > "$CONF_DIR/zookeeper.properties"
    echo "kafkit: zookeeper.properties:" && cat "$CONF_DIR/zookeeper.properties"
    # shellcheck disable=SC2046
    exec java $(jvm_opts "${KAFKA_HEAP_OPTS:--Xmx256m -Xms64m}" "${KAFKA_JVM_PERFORMANCE_OPTS:--XX:+UseSerialGC -XX:TieredStopAtLevel=1}" "${KAFKA_OPTS:-}") \
      -cp "$LIBS/*" org.apache.zookeeper.server.quorum.QuorumPeerMain "$CONF_DIR/zookeeper.properties"
    ;;
  kafka)
    props=$(env_to_props KAFKA_)
    if ! grep -q '^log\.dirs=' <<<"$props"; then props+=$'\n'"log.dirs=/var/lib/kafka/data"; fi
    printf '%s\n' "$props" | sed '/^$/d' > "$CONF_DIR/server.properties"
    echo "kafkit: server.properties:" && cat "$CONF_DIR/server.properties"
    log_dirs=$(sed -n 's/^log\.dirs=//p' "$CONF_DIR/server.properties")
    IFS=, read -ra dirs <<<"$log_dirs"
    mkdir -p "${dirs[@]}"
    # shellcheck disable=SC2046
    opts=$(jvm_opts "${KAFKA_HEAP_OPTS:--Xmx512m -Xms128m}" "${KAFKA_JVM_PERFORMANCE_OPTS:--XX:+UseSerialGC -XX:TieredStopAtLevel=1}" "${KAFKA_OPTS:-}")
    if grep -q '^process\.roles=' "$CONF_DIR/server.properties"; then
      : "${CLUSTER_ID:?CLUSTER_ID is required in KRaft mode (KAFKA_PROCESS_ROLES is set)}"
      # --ignore-formatted: a restarted container keeps its formatted data dir.
      # shellcheck disable=SC2086
      java $opts -cp "$LIBS/*" kafka.tools.StorageTool format --ignore-formatted -t "$CLUSTER_ID" -c "$CONF_DIR/server.properties"
    fi
    # shellcheck disable=SC2086
    exec java $opts -cp "$LIBS/*" kafka.Kafka "$CONF_DIR/server.properties"
    ;;
  *)
    echo "kafkit: unknown KAFKIT_ROLE '${KAFKIT_ROLE}' (expected kafka or zookeeper)" >&2
    exit 2
    ;;
esac
