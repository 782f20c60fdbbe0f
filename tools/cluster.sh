#!/usr/bin/env bash
# A local Kubernetes control plane for tests: etcd, kube-apiserver and
# kube-controller-manager on loopback, on free ports picked at run time. There
# is no kubelet and no scheduler: objects (Pods included) are admitted, stored
# and reconciled by the controllers, but no container ever runs.
#
#   tools/cluster.sh up [--tmp] [--owner PID] [DIR]   # start, wait until usable
#   tools/cluster.sh down [--purge] [DIR]             # stop what `up` started
#   tools/cluster.sh status [DIR]                     # exit 0 when running and ready
#
# DIR holds everything (etcd data, keys, kubeconfig, pids, logs); it defaults
# to .cluster/ in the repository. `up --tmp` uses a new temporary directory
# instead, which `down` then removes. `up --owner PID` also starts a watchdog
# that runs `down` once process PID is gone (tests pass their own pid, so a
# killed test run leaves no control plane behind).
#
# Binaries come from .tools/bin (tools/install-tools.sh), else from PATH.
# Environment: CLUSTER_TIMEOUT (seconds `up` waits, default 120),
#              ACK_TOOLS_BIN (directory of the binaries, default .tools/bin).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
self="$root/tools/cluster.sh"
bindir="${ACK_TOOLS_BIN:-$root/.tools/bin}"
timeout="${CLUSTER_TIMEOUT:-120}"
components=(etcd kube-apiserver kube-controller-manager)

log() { printf '[cluster] %s\n' "$*" >&2; }
die() {
	log "error: $*"
	exit 1
}

usage() {
	sed -n '2,/^set -euo/p' "$self" | sed '$d; s/^# \{0,1\}//' >&2
	exit 2
}

# absdir DIR: prints DIR as an absolute path (DIR need not exist yet).
absdir() {
	case $1 in
	/*) printf '%s' "$1" ;;
	*) printf '%s/%s' "$(pwd)" "$1" ;;
	esac
}

# findbin NAME: prints the path of a required binary.
findbin() {
	if [ -x "$bindir/$1" ]; then
		printf '%s' "$bindir/$1"
	elif command -v "$1" >/dev/null 2>&1; then
		command -v "$1"
	else
		return 1
	fi
}

# --- processes -------------------------------------------------------------

# alive PID: true while PID runs (a zombie, killed but not yet reaped by its
# new parent, counts as gone).
alive() {
	local pid=$1 state
	kill -0 "$pid" 2>/dev/null || return 1
	if [ -r "/proc/$pid/stat" ]; then
		state=$(sed 's/^.*) //' "/proc/$pid/stat" 2>/dev/null) || return 1
	else
		state=$(ps -o stat= -p "$pid" 2>/dev/null) || return 1
	fi
	[[ $state != Z* ]]
}

# cmdline PID: the command line of PID, to check a recorded pid is still ours.
cmdline() {
	if [ -r "/proc/$1/cmdline" ]; then
		tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null
	else
		ps -o args= -p "$1" 2>/dev/null
	fi
}

# ours NAME PID: PID is alive and still runs NAME (guards against pid reuse).
ours() {
	local name=$1 pid=$2
	[ "$name" = watchdog ] && name=cluster.sh
	alive "$pid" && [[ $(cmdline "$pid") == *"$name"* ]]
}

# pidof_component NAME: the pid `up` recorded for NAME.
pidof_component() {
	awk -v n="$1" '$1 == n { p = $2 } END { if (p) print p; else exit 1 }' "$dir/pids" 2>/dev/null
}

# start NAME CMD...: starts CMD in the background with its output in
# DIR/NAME.log and records its pid. Its stdio must not be the caller's: a test
# reading `up`'s output would otherwise wait for the control plane to exit.
start() {
	local name=$1
	shift
	"$@" </dev/null >>"$dir/$name.log" 2>&1 &
	printf '%s %s\n' "$name" "$!" >>"$dir/pids"
}

# stop_all [--keep-watchdog]: TERM every recorded process (newest first),
# wait, then KILL.
stop_all() {
	local keep=false name pid pids=() left recorded
	[ "${1:-}" = --keep-watchdog ] && keep=true
	recorded=$(cat "$dir/pids" 2>/dev/null) || return 0
	while read -r name pid; do
		[ -n "$pid" ] || continue
		[ "$pid" = "$$" ] && continue # a watchdog running `down`
		$keep && [ "$name" = watchdog ] && continue
		if ours "$name" "$pid"; then
			kill -TERM "$pid" 2>/dev/null || true
			pids+=("$pid")
		fi
	done < <(printf '%s\n' "$recorded" | awk '{ l[NR] = $0 } END { for (i = NR; i > 0; i--) print l[i] }')
	if [ ${#pids[@]} -gt 0 ]; then
		for _ in $(seq 1 100); do # up to 10 s for a clean exit
			left=()
			for pid in "${pids[@]}"; do alive "$pid" && left+=("$pid"); done
			[ ${#left[@]} -eq 0 ] && break
			sleep 0.1
		done
		if [ ${#left[@]} -gt 0 ]; then
			log "killing ${left[*]} (no exit 10 s after TERM)"
			kill -KILL "${left[@]}" 2>/dev/null || true
			for _ in $(seq 1 50); do
				left=()
				for pid in "${pids[@]}"; do alive "$pid" && left+=("$pid"); done
				[ ${#left[@]} -eq 0 ] && break
				sleep 0.1
			done
			[ ${#left[@]} -eq 0 ] || log "warning: still running after KILL: ${left[*]}"
		fi
	fi
	if $keep; then
		printf '%s\n' "$recorded" | awk '$1 == "watchdog"' >"$dir/pids.tmp"
		mv "$dir/pids.tmp" "$dir/pids"
	else
		rm -f "$dir/pids"
	fi
}

# running: true when any process recorded in DIR/pids still runs.
running() {
	[ -f "$dir/pids" ] || return 1
	local name pid
	while read -r name pid; do
		[ "$name" = watchdog ] && continue
		[ -n "$pid" ] && ours "$name" "$pid" && return 0
	done <"$dir/pids"
	return 1
}

# --- ports -------------------------------------------------------------------

taken=" "

# port_busy PORT: true when a local socket uses PORT.
port_busy() {
	local files=() f
	for f in /proc/net/tcp /proc/net/tcp6; do [ -r "$f" ] && files+=("$f"); done
	if [ ${#files[@]} -gt 0 ]; then
		awk -v p="$(printf ':%04X' "$1")" \
			'FNR > 1 && substr($2, length($2) - 4) == p { found = 1 } END { exit !found }' "${files[@]}"
	else
		(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
	fi
}

# free_port VAR: sets VAR to a port nothing listens on, from 20000-31999
# (below the kernel's default ephemeral range, so outgoing connections don't
# take it). Another process may still bind it before we do: `up` retries then.
free_port() {
	local port
	for _ in $(seq 1 200); do
		port=$((20000 + (RANDOM * 32768 + RANDOM) % 12000))
		[[ $taken == *" $port "* ]] && continue
		port_busy "$port" && continue
		taken+="$port "
		printf -v "$1" '%s' "$port"
		return 0
	done
	die "no free port found"
}

# --- up ----------------------------------------------------------------------

# keys: the service-account key pair and the admin token, made once per DIR.
keys() {
	local pki=$dir/pki
	mkdir -p "$pki/apiserver" "$pki/controller-manager"
	chmod 700 "$pki"
	if [ ! -s "$pki/sa.key" ] || [ ! -s "$pki/sa.pub" ]; then
		openssl genrsa -out "$pki/sa.key.tmp" 2048 2>/dev/null
		openssl rsa -in "$pki/sa.key.tmp" -pubout -out "$pki/sa.pub" 2>/dev/null
		mv "$pki/sa.key.tmp" "$pki/sa.key"
	fi
	if [ ! -s "$pki/token" ]; then
		openssl rand -hex 24 >"$pki/token.tmp"
		mv "$pki/token.tmp" "$pki/token"
	fi
	token=$(cat "$pki/token")
	# token,user,uid,"groups"
	printf '%s,admin,admin,"system:masters"\n' "$token" >"$pki/tokens.csv"
	chmod 600 "$pki/sa.key" "$pki/token" "$pki/tokens.csv"
}

# api PATH: GET PATH from the apiserver as admin, verifying its certificate.
api() {
	curl -fsS --max-time 5 --cacert "$dir/pki/apiserver/apiserver.crt" \
		-H "Authorization: Bearer $token" "https://127.0.0.1:$API_PORT$1"
}

# extract_ca: kube-apiserver's self-signed apiserver.crt holds the serving
# certificate, then the CA that signed it. Only the CA (with the CA bit) goes
# into the kubeconfig and --root-ca-file: the controller manager publishes
# the latter as a ClusterTrustBundle, which refuses non-CA certificates.
extract_ca() {
	awk '/-----BEGIN CERTIFICATE-----/ { block = "" } { block = block $0 "\n" }
		/-----END CERTIFICATE-----/ { last = block } END { printf "%s", last }' \
		"$dir/pki/apiserver/apiserver.crt" >"$dir/pki/ca.crt.tmp" &&
		[ -s "$dir/pki/ca.crt.tmp" ] && mv "$dir/pki/ca.crt.tmp" "$dir/pki/ca.crt"
}

write_kubeconfig() {
	local ca
	ca=$(base64 <"$dir/pki/ca.crt" | tr -d '\n')
	cat >"$dir/kubeconfig.tmp" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: ack-local
  cluster:
    server: https://127.0.0.1:$API_PORT
    certificate-authority-data: $ca
users:
- name: admin
  user:
    token: $token
contexts:
- name: ack-local
  context:
    cluster: ack-local
    user: admin
    namespace: default
current-context: ack-local
EOF
	mv "$dir/kubeconfig.tmp" "$dir/kubeconfig"
}

# wait_for NAME WHAT CMD...: runs CMD until it succeeds; fails when NAME's
# process exits or the deadline of `up` passes.
wait_for() {
	local name=$1 what=$2 pid
	shift 2
	pid=$(pidof_component "$name")
	until "$@" >/dev/null 2>&1; do
		if ! alive "$pid"; then
			log "$name exited while waiting for $what"
			return 1
		fi
		if ((SECONDS >= deadline)); then
			log "timed out after ${timeout}s waiting for $what"
			return 1
		fi
		sleep 0.3
	done
}

failed=""

# start_cluster: one attempt at starting everything; sets $failed to the
# component to blame when it returns non-zero.
start_cluster() {
	local etcd apiserver kcm
	etcd=$(findbin etcd)
	apiserver=$(findbin kube-apiserver)
	kcm=$(findbin kube-controller-manager)

	taken=" "
	free_port ETCD_PORT
	free_port ETCD_PEER_PORT
	free_port API_PORT
	free_port KCM_PORT
	cat >"$dir/cluster.env" <<EOF
ETCD_PORT=$ETCD_PORT
ETCD_PEER_PORT=$ETCD_PEER_PORT
API_PORT=$API_PORT
KCM_PORT=$KCM_PORT
EOF
	local c
	for c in "${components[@]}"; do : >"$dir/$c.log"; done

	failed=etcd
	log "starting etcd on 127.0.0.1:$ETCD_PORT"
	start etcd "$etcd" \
		--name=local \
		--data-dir="$dir/etcd" \
		--listen-client-urls="http://127.0.0.1:$ETCD_PORT" \
		--advertise-client-urls="http://127.0.0.1:$ETCD_PORT" \
		--listen-peer-urls="http://127.0.0.1:$ETCD_PEER_PORT" \
		--initial-advertise-peer-urls="http://127.0.0.1:$ETCD_PEER_PORT" \
		--initial-cluster="local=http://127.0.0.1:$ETCD_PEER_PORT" \
		--initial-cluster-state=new \
		--logger=zap --log-outputs=stderr --log-level=warn
	wait_for etcd "etcd health" \
		sh -c "curl -fsS --max-time 5 http://127.0.0.1:$ETCD_PORT/health | grep -q '\"health\":\"true\"'" ||
		return 1

	failed=kube-apiserver
	log "starting kube-apiserver on https://127.0.0.1:$API_PORT"
	start kube-apiserver "$apiserver" \
		--etcd-servers="http://127.0.0.1:$ETCD_PORT" \
		--bind-address=127.0.0.1 \
		--advertise-address=127.0.0.1 \
		--secure-port="$API_PORT" \
		--cert-dir="$dir/pki/apiserver" \
		--endpoint-reconciler-type=none \
		--service-cluster-ip-range=10.96.0.0/16 \
		--service-account-issuer=https://kubernetes.default.svc \
		--service-account-key-file="$dir/pki/sa.pub" \
		--service-account-signing-key-file="$dir/pki/sa.key" \
		--token-auth-file="$dir/pki/tokens.csv" \
		--authorization-mode=Node,RBAC \
		--enable-admission-plugins=NamespaceLifecycle,LimitRanger,ServiceAccount,DefaultStorageClass,ResourceQuota \
		--profiling=false
	wait_for kube-apiserver "kube-apiserver /readyz" api /readyz || return 1
	extract_ca && write_kubeconfig || return 1

	failed=kube-controller-manager
	log "starting kube-controller-manager (health on 127.0.0.1:$KCM_PORT)"
	# No cloud provider, no nodes: every controller except node IPAM, which
	# only matters with --allocate-node-cidrs.
	start kube-controller-manager "$kcm" \
		--kubeconfig="$dir/kubeconfig" \
		--bind-address=127.0.0.1 \
		--secure-port="$KCM_PORT" \
		--cert-dir="$dir/pki/controller-manager" \
		--controllers='*,-node-ipam-controller' \
		--leader-elect=false \
		--use-service-account-credentials=false \
		--service-account-private-key-file="$dir/pki/sa.key" \
		--root-ca-file="$dir/pki/ca.crt" \
		--profiling=false
	wait_for kube-controller-manager "kube-controller-manager /healthz" \
		curl -fsSk --max-time 5 "https://127.0.0.1:$KCM_PORT/healthz" || return 1
	# The service-account controller made the default ServiceAccount: the
	# controllers run, and pods can pass ServiceAccount admission.
	wait_for kube-controller-manager "ServiceAccount default/default" \
		api /api/v1/namespaces/default/serviceaccounts/default || return 1
	failed=""
}

# show_failure: the end of the log of the component that failed.
show_failure() {
	local f=$dir/$failed.log
	[ -n "$failed" ] && [ -f "$f" ] || return 0
	log "last lines of $f:"
	tail -n 40 "$f" >&2
}

cmd_up() {
	local tmp=false owner="" arg
	dir=""
	while [ $# -gt 0 ]; do
		arg=$1
		shift
		case $arg in
		--tmp) tmp=true ;;
		--owner)
			[ $# -gt 0 ] || usage
			owner=$1
			shift
			;;
		--owner=*) owner=${arg#--owner=} ;;
		-h | --help) usage ;;
		-*) die "unknown option $arg" ;;
		*) [ -z "$dir" ] || usage; dir=$arg ;;
		esac
	done
	if $tmp; then
		[ -z "$dir" ] || die "--tmp and DIR exclude each other"
		dir=$(mktemp -d "${TMPDIR:-/tmp}/ack-cluster.XXXXXX")
		touch "$dir/.tmpdir"
	fi
	dir=$(absdir "${dir:-$root/.cluster}")
	if [ -n "$owner" ] && ! [[ $owner =~ ^[0-9]+$ ]]; then die "--owner needs a pid, got $owner"; fi

	local missing=() b
	for b in etcd kube-apiserver kube-controller-manager; do findbin "$b" >/dev/null || missing+=("$b"); done
	for b in curl openssl base64; do command -v "$b" >/dev/null 2>&1 || missing+=("$b"); done
	[ ${#missing[@]} -eq 0 ] || die "missing ${missing[*]} (looked in $bindir and PATH): run make tools"

	[[ $timeout =~ ^[0-9]+$ ]] || die "CLUSTER_TIMEOUT must be a number of seconds, got $timeout"
	umask 077 # keys, token and kubeconfig are secrets
	mkdir -p "$dir"
	touch "$dir/.ack-cluster" # marks a directory `down --purge` may delete
	if running; then
		die "a cluster already runs in $dir (tools/cluster.sh down $dir first)"
	fi
	rm -f "$dir/pids"
	keys

	local t0=${EPOCHREALTIME:-$SECONDS}
	deadline=$((SECONDS + timeout))
	trap 'log "interrupted"; stop_all; exit 130' INT TERM HUP

	if [ -n "$owner" ]; then
		# Checks the owner every 2 s; runs `down` (as this same pid) once it
		# is gone. `down` leaves a pid equal to its own alone.
		(
			trap - INT TERM HUP
			while alive "$owner"; do sleep 2; done
			exec bash "$self" down "$dir"
		) </dev/null >>"$dir/watchdog.log" 2>&1 &
		printf 'watchdog %s\n' "$!" >>"$dir/pids"
	fi

	local attempt
	for attempt in 1 2 3; do
		if start_cluster; then break; fi
		if [ "$attempt" -lt 3 ] && [ -n "$failed" ] &&
			grep -qi 'address already in use' "$dir/$failed.log" 2>/dev/null; then
			log "a port was taken meanwhile; retrying with other ports"
			stop_all --keep-watchdog
			continue
		fi
		show_failure
		stop_all
		exit 1
	done
	trap - INT TERM HUP

	local took
	if [ -n "${EPOCHREALTIME:-}" ]; then
		took=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')
	else
		took=$((SECONDS - t0))
	fi
	log "ready in ${took}s: https://127.0.0.1:$API_PORT (logs and pids in $dir)"
	printf 'export KUBECONFIG=%s/kubeconfig\n' "$dir"
}

# --- down, status ------------------------------------------------------------

cmd_down() {
	local purge=false arg
	dir=""
	while [ $# -gt 0 ]; do
		arg=$1
		shift
		case $arg in
		--purge) purge=true ;;
		-h | --help) usage ;;
		-*) die "unknown option $arg" ;;
		*) [ -z "$dir" ] || usage; dir=$arg ;;
		esac
	done
	dir=$(absdir "${dir:-$root/.cluster}")
	if [ ! -d "$dir" ]; then
		log "nothing in $dir"
		return 0
	fi
	if [ -f "$dir/pids" ]; then
		stop_all
		log "stopped the cluster in $dir"
	else
		log "no cluster runs in $dir"
	fi
	if $purge || [ -f "$dir/.tmpdir" ]; then
		[ -f "$dir/.ack-cluster" ] || die "$dir was not made by tools/cluster.sh up: not removing it"
		rm -rf "$dir"
		log "removed $dir"
	fi
}

cmd_status() {
	dir=$(absdir "${1:-$root/.cluster}")
	if [ ! -f "$dir/pids" ]; then
		echo "no cluster in $dir"
		return 3
	fi
	local name pid rc=0
	while read -r name pid; do
		if ours "$name" "$pid"; then
			printf '%-24s running (pid %s)\n' "$name" "$pid"
		else
			printf '%-24s NOT running (pid %s)\n' "$name" "$pid"
			rc=1
		fi
	done <"$dir/pids"
	# shellcheck disable=SC1091
	. "$dir/cluster.env"
	token=$(cat "$dir/pki/token")
	if api /readyz >/dev/null 2>&1; then
		printf '%-24s ready (https://127.0.0.1:%s)\n' apiserver "$API_PORT"
	else
		printf '%-24s NOT ready (https://127.0.0.1:%s)\n' apiserver "$API_PORT"
		rc=1
	fi
	printf 'export KUBECONFIG=%s/kubeconfig\n' "$dir"
	return $rc
}

[ $# -gt 0 ] || usage
command=$1
shift
case $command in
up) cmd_up "$@" ;;
down) cmd_down "$@" ;;
status) cmd_status "$@" ;;
-h | --help | help) usage ;;
*) usage ;;
esac
