#!/usr/bin/env bash
# Real replication for CI: a PostgreSQL primary and a streaming replica of our own (the machine's server accepts no
# replication connections, and is not ours to reconfigure), a PgBouncer in transaction mode in front of the primary,
# and tests/replication/ run against live servers on them.
#
#   bash .ci/replicas.sh         up, the tests, down (down on failure too)
#   bash .ci/replicas.sh up      leaves the pair running and writes the tests' environment to $WORK/env
#   bash .ci/replicas.sh down    removes the clusters, PgBouncer and $WORK (also what `up` does first)
set -euo pipefail
cd "$(dirname "$0")/.."

VERSION="${CI_PG_VERSION:-$(ls /usr/lib/postgresql | sort -n | tail -n 1)}"
PRIMARY=ci_primary
REPLICA=ci_replica
WORK=/tmp/tracker-ci-replicas
BIN=/usr/lib/postgresql/$VERSION/bin

# Debian's cluster tools run as root (they give the clusters to postgres); the servers' own tools as postgres.
if [ "$(id -u)" = 0 ]; then
	SUDO=()
	AS_POSTGRES=(runuser -u postgres --)
else
	SUDO=(sudo)
	AS_POSTGRES=(sudo -u postgres)
fi

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

cluster_exists() {
	pg_lsclusters -h | awk -v v="$VERSION" -v c="$1" '$1 == v && $2 == c { found = 1 } END { exit !found }'
}

down() {
	if [ -f "$WORK/pgbouncer.pid" ]; then
		kill "$(cat "$WORK/pgbouncer.pid")" 2>/dev/null || true
	fi
	for cluster in "$REPLICA" "$PRIMARY"; do
		if cluster_exists "$cluster"; then
			"${SUDO[@]}" pg_dropcluster --stop "$VERSION" "$cluster"
		fi
	done
	"${SUDO[@]}" rm -rf "$WORK"
}

# Trust from 127.0.0.1 only, replication included: these servers live for one CI run, on loopback ports.
write_hba() {
	"${AS_POSTGRES[@]}" tee "/etc/postgresql/$VERSION/$1/pg_hba.conf" >/dev/null <<-EOF
		local all all trust
		host all all 127.0.0.1/32 trust
		local replication all trust
		host replication all 127.0.0.1/32 trust
	EOF
}

up() {
	down  # leftovers of an earlier run that did not get to its own clean-up
	if [ ! -x /usr/sbin/pgbouncer ]; then
		echo "Installing Debian's pgbouncer for the pooler test"
		"${SUDO[@]}" apt-get update -qq
		"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq pgbouncer
	fi
	"${SUDO[@]}" install -d -o postgres -g postgres "$WORK"
	local primary_port replica_port pooler_port
	primary_port=$(free_port)
	replica_port=$(free_port)
	pooler_port=$(free_port)
	# Throwaway servers: small, no fsync; wal_level replica and hot standby are what replication needs (and the
	# defaults, said here anyway). The long query text lets the tests find a request's query in pg_stat_activity.
	local settings=(
		-o listen_addresses=localhost -o wal_level=replica -o max_wal_senders=4 -o hot_standby=on
		-o shared_buffers=32MB -o fsync=off -o timezone=UTC -o track_activity_query_size=16384
	)

	echo "== primary $VERSION/$PRIMARY on port $primary_port"
	"${SUDO[@]}" pg_createcluster --quiet "$VERSION" "$PRIMARY" -p "$primary_port" "${settings[@]}" >/dev/null
	write_hba "$PRIMARY"
	"${SUDO[@]}" pg_ctlcluster "$VERSION" "$PRIMARY" start

	echo "== replica $VERSION/$REPLICA on port $replica_port (pg_basebackup -R, no replication slot)"
	"${SUDO[@]}" pg_createcluster --quiet "$VERSION" "$REPLICA" -p "$replica_port" "${settings[@]}" >/dev/null
	write_hba "$REPLICA"
	local data="/var/lib/postgresql/$VERSION/$REPLICA"
	"${AS_POSTGRES[@]}" find "$data" -mindepth 1 -delete
	"${AS_POSTGRES[@]}" "$BIN/pg_basebackup" -h 127.0.0.1 -p "$primary_port" -U postgres -D "$data" -R -X stream -c fast
	"${SUDO[@]}" pg_ctlcluster "$VERSION" "$REPLICA" start

	local primary_url="postgres://postgres@127.0.0.1:$primary_port/tracker"
	psql -q -h 127.0.0.1 -p "$primary_port" -U postgres -c "CREATE DATABASE tracker"
	echo "== migrate and synthetic data on the primary"
	DATABASE_URL="$primary_url" .venv/bin/python manage.py migrate --noinput -v 0
	DATABASE_URL="$primary_url" .venv/bin/python manage.py generate_synthetic --events 1000 --actors 300 --seed 1 \
		--no-progress -v 0

	echo "== PgBouncer (pool_mode = transaction) on port $pooler_port"
	"${AS_POSTGRES[@]}" tee "$WORK/pgbouncer.ini" >/dev/null <<-EOF
		[databases]
		tracker = host=127.0.0.1 port=$primary_port dbname=tracker
		[pgbouncer]
		listen_addr = 127.0.0.1
		listen_port = $pooler_port
		unix_socket_dir =
		auth_type = trust
		auth_file = $WORK/userlist.txt
		pool_mode = transaction
		default_pool_size = 4
		max_client_conn = 100
		pidfile = $WORK/pgbouncer.pid
		logfile = $WORK/pgbouncer.log
	EOF
	echo '"postgres" ""' | "${AS_POSTGRES[@]}" tee "$WORK/userlist.txt" >/dev/null
	"${AS_POSTGRES[@]}" pgbouncer -d -q "$WORK/pgbouncer.ini"

	"${AS_POSTGRES[@]}" tee "$WORK/env" >/dev/null <<-EOF
		export TRACKER_REPLICATION_PRIMARY_URL=$primary_url
		export TRACKER_REPLICATION_REPLICA_URL=postgres://postgres@127.0.0.1:$replica_port/tracker
		export TRACKER_REPLICATION_POOLER_URL=postgres://postgres@127.0.0.1:$pooler_port/tracker
		export TRACKER_REPLICATION_REPLICA_CLUSTER=$VERSION/$REPLICA
	EOF
}

case "${1:-all}" in
	up) up ;;
	down) down ;;
	all)
		trap down EXIT
		up
		# shellcheck source=/dev/null
		. "$WORK/env"
		echo "== replication tests"
		.venv/bin/python -m pytest -q -p no:cacheprovider tests/replication
		;;
	*)
		echo "usage: $0 [up|down]" >&2
		exit 2
		;;
esac
