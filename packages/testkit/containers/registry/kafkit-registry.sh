#!/bin/bash
# Entrypoint of the locally built kafkit schema-registry image: Apicurio Registry 3 (a Quarkus
# app) whose /apis/ccompat/v7 API is compatible with Confluent Schema Registry.
#
# It reads the environment variables of confluentinc/cp-schema-registry, so the testkit
# configures both image sets the same way:
#   SCHEMA_REGISTRY_LISTENERS=http://0.0.0.0:8081          -> HTTP port
#   SCHEMA_REGISTRY_KAFKASTORE_BOOTSTRAP_SERVERS=PLAINTEXT://kafka-0:9092,...
#                                                          -> KafkaSQL storage on that cluster
#   SCHEMA_REGISTRY_HEAP_OPTS, SCHEMA_REGISTRY_OPTS        -> JVM options
# Without a bootstrap list, or with the Apicurio 2 in-memory artifact, data stays in memory.
# Any APICURIO_* / QUARKUS_* variable is read by Apicurio itself (Quarkus env mapping).
set -euo pipefail

listener=${SCHEMA_REGISTRY_LISTENERS:-http://0.0.0.0:8081}
listener=${listener%%,*}
port=${listener##*:}
port=${port%%/*}

props=(-Dquarkus.http.port="$port" -Dquarkus.http.host=0.0.0.0 -Dquarkus.log.console.json=false)

# The distribution is either Apicurio 3 (quarkus-run.jar; one artifact for every storage kind)
# or Apicurio 2 (apicurio-registry-app-<v>-runner.jar: the in-memory variant).
jar=''
for candidate in /opt/apicurio/quarkus-run.jar /opt/apicurio/quarkus-app/quarkus-run.jar /opt/apicurio/*-runner.jar; do
  if [[ -f $candidate ]]; then jar=$candidate; break; fi
done
if [[ -z $jar ]]; then
  echo "kafkit: no quarkus-run.jar or *-runner.jar under /opt/apicurio" >&2
  exit 2
fi

if [[ -n ${SCHEMA_REGISTRY_KAFKASTORE_BOOTSTRAP_SERVERS:-} && $jar == */quarkus-run.jar ]]; then
  # Confluent lists endpoints as PROTOCOL://host:port; Kafka clients want host:port.
  bootstrap=$(sed -E 's#[A-Za-z_]+://##g' <<<"$SCHEMA_REGISTRY_KAFKASTORE_BOOTSTRAP_SERVERS")
  # A 1 s poll (Apicurio's default is 5 s) keeps start-up short: Apicurio polls its journal
  # and snapshot topics to the end, once each, before it serves.
  props+=(-Dapicurio.storage.kind=kafkasql -Dapicurio.kafkasql.bootstrap.servers="$bootstrap"
    -Dapicurio.kafkasql.consumer.poll.timeout="${APICURIO_KAFKASQL_CONSUMER_POLL_TIMEOUT:-1000}")
  echo "kafkit: Apicurio 3 with KafkaSQL storage on $bootstrap"
else
  echo "kafkit: Apicurio with in-memory storage ($jar)"
fi

# shellcheck disable=SC2086 # the *_OPTS variables are word lists by convention
exec java ${SCHEMA_REGISTRY_HEAP_OPTS:--Xmx384m -Xms64m} \
  ${SCHEMA_REGISTRY_JVM_PERFORMANCE_OPTS:--XX:+UseSerialGC -XX:TieredStopAtLevel=1} \
  ${SCHEMA_REGISTRY_OPTS:-} "${props[@]}" -jar "$jar"
