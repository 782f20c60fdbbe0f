#!/usr/bin/env bash
# Benchmarks of the engine on workload stacks, printed side by side and
# recorded in docs/benchmarks.md (`make bench`). One run, one machine:
#
#   - one workload stack (one environment) of the synthetic catalog made by
#     tools/bench, at each size of -s (10, 30, 100 services), on the file
#     backend and on an S3-compatible server (tools/bench/s3server, gofakes3,
#     reached through the same s3:// URL form as OSS), run as workload stacks
#     run (tools/engine.sh; docs/benchmarks.md, "Checkpoints":
#     PULUMI_SKIP_CHECKPOINTS=true, `up --refresh`): `pulumi up` (create), a no-op `pulumi preview`, a
#     one-tag release, `pulumi destroy`;
#   - the same first `up` with every checkpoint written (the engine's
#     default, which platform stacks keep), file backend, at the sizes of -k;
#   - the floor, on the same objects (rendered to YAML by the program's
#     render mode): `kubectl apply --server-side` into a fresh cluster, then
#     `kubectl diff --server-side` of the same files (no change);
#   - the layout before the split: one stack holding three environments of
#     -c services, every checkpoint written, against the largest workload
#     stack of the same catalog (one environment).
#
#   tools/bench.sh [-s "10 30 100"] [-k "30 100"] [-c 30] [--build] [--no-record]
#
# --build adds the build and unit-test figures (a cold build takes minutes);
# --no-record only prints the tables. The clusters are tools/cluster.sh
# (etcd, kube-apiserver, kube-controller-manager, no kubelet). Everything
# runs in a temporary directory removed at the end; the repository's stack
# files are never touched. Needs `make tools`.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bin="$root/.tools/bin"
sizes="10 30 100"
combined=30
ckpt_sizes="30 100"
record=true
build=false
while [ $# -gt 0 ]; do
	case $1 in
	-s) sizes=$2; shift 2 ;;
	-c) combined=$2; shift 2 ;;
	-k) ckpt_sizes=$2; shift 2 ;;
	--no-record) record=false; shift ;;
	--build) build=true; shift ;;
	-h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	*) echo "unknown argument $1 (see --help)" >&2; exit 2 ;;
	esac
done

log() { printf '[bench %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

for t in pulumi pulumi-language-go pulumi-resource-kubernetes kubectl etcd kube-apiserver kube-controller-manager; do
	[ -x "$bin/$t" ] || die "$bin/$t missing: run make tools"
done
command -v go >/dev/null || die "go not on PATH"

export PATH="$bin:$PATH"
export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true PULUMI_SKIP_UPDATE_CHECK=true
export PULUMI_CONFIG_PASSPHRASE=bench-passphrase-not-a-secret
# gofakes3 checks no credential; the AWS SDK needs some to sign.
export AWS_ACCESS_KEY_ID=bench AWS_SECRET_ACCESS_KEY=bench AWS_EC2_METADATA_DISABLED=true
# Every Kubernetes resource uses the program's explicit provider; an
# inherited KUBECONFIG would only be read by it as a default, which render
# mode refuses.
unset KUBECONFIG
unset PULUMI_SKIP_CHECKPOINTS PULUMI_EXPERIMENTAL PULUMI_K8S_ENABLE_PATCH_FORCE

work=$(mktemp -d "${TMPDIR:-/tmp}/ack-bench.XXXXXX")
clusters=()
s3pid=
cleanup() {
	local c
	for c in "${clusters[@]}"; do "$root/tools/cluster.sh" down "$c" >/dev/null 2>&1 || true; done
	[ -z "$s3pid" ] || kill "$s3pid" 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# now: seconds since the epoch, with decimals.
now() { printf '%s' "${EPOCHREALTIME:-$(date +%s.%N)}"; }
# since T0: seconds elapsed since T0, one decimal.
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
# ratio A B: A / B with one decimal and an x.
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || b == 0) print "n/a"; else printf "%.1fx", a / b }'; }

declare -A fig # figure name -> value
began_all=$(now)

# --- build and unit tests (--build) ------------------------------------------

unit_pkgs=()
for p in platform workloads sdk; do [ -d "$root/tests/$p" ] && unit_pkgs+=("./tests/$p/..."); done
if $build; then
	log "go build, cold cache (module cache warm)"
	t0=$(now)
	(cd "$root" && GOCACHE="$work/gocache" go build -o "$work/ack-platform" .)
	fig[build_cold]=$(since "$t0")
	t0=$(now)
	(cd "$root" && GOCACHE="$work/gocache" go build -o "$work/ack-platform" .)
	fig[build_warm]=$(since "$t0")
	rm -rf "$work/gocache"
	log "unit tests: ${unit_pkgs[*]}"
	t0=$(now)
	(cd "$root" && go test -count=1 "${unit_pkgs[@]}" >"$work/unit.log" 2>&1) || {
		tail -n 30 "$work/unit.log" >&2
		die "unit tests failed"
	}
	fig[unit]=$(since "$t0")
fi

# --- helpers -----------------------------------------------------------------

log "building tools/bench and tools/bench/s3server"
(cd "$root" && go build -o "$work/benchgen" ./tools/bench && go build -o "$work/s3server" ./tools/bench/s3server)

log "starting the S3-compatible server"
"$work/s3server" -bucket state -owner $$ >"$work/s3.addr" 2>"$work/s3.log" &
s3pid=$!
for _ in $(seq 50); do [ -s "$work/s3.addr" ] && break; sleep 0.1; done
s3endpoint=$(head -n 1 "$work/s3.addr")
[ -n "$s3endpoint" ] || die "s3server printed no endpoint: $(cat "$work/s3.log")"

# cluster_up NAME: starts a fresh local cluster; sets $kubeconfig.
cluster_up() {
	local dir="$work/cluster-$1"
	"$root/tools/cluster.sh" up --owner $$ "$dir" >/dev/null
	clusters+=("$dir")
	kubeconfig="$dir/kubeconfig"
}
cluster_down() { "$root/tools/cluster.sh" down "$work/cluster-$1" >/dev/null 2>&1 || true; }

# backend_url KIND NAME: the backend of a project: a directory, or a prefix
# of the S3 bucket (the same s3:// parameters as for OSS, path-style on a
# loopback address).
backend_url() {
	case $1 in
	file) mkdir -p "$work/$2/backend" && printf 'file://%s' "$work/$2/backend" ;;
	s3) printf 's3://state/%s?endpoint=%s&region=cn-hangzhou&s3ForcePathStyle=true&request_checksum_calculation=when_required&response_checksum_validation=when_required' "$2" "$s3endpoint" ;;
	esac
}

# pulumi_in NAME ARGS...: pulumi in project NAME ($work/NAME/project) with
# that project's backend, home and checkpoint mode.
pulumi_in() {
	local name=$1
	shift
	local -a envs=(PULUMI_HOME="$work/$name/home" PULUMI_BACKEND_URL="$(cat "$work/$name/backend-url")")
	if [ -f "$work/$name/skip-checkpoints" ]; then
		envs+=(PULUMI_EXPERIMENTAL=true PULUMI_SKIP_CHECKPOINTS=true PULUMI_K8S_ENABLE_PATCH_FORCE=true)
	fi
	(cd "$work/$name/project" && env "${envs[@]}" pulumi "$@" --non-interactive --stack dev)
}

# project NAME BACKEND CHECKPOINTS SERVICES ENVS: a project of the synthetic
# catalog with stack dev; CHECKPOINTS is `skip` or `all`.
project() {
	local name=$1 backend=$2 ckpt=$3 services=$4 envs=$5
	mkdir -p "$work/$name/home"
	backend_url "$backend" "$name" >"$work/$name/backend-url"
	[ "$ckpt" = skip ] && : >"$work/$name/skip-checkpoints"
	"$work/benchgen" -out "$work/$name/project" -stack dev -services "$services" -envs "$envs" >"$work/$name/generated"
	pulumi_in "$name" stack init >/dev/null
}

# timed KEY NAME LOGNAME ARGS...: runs pulumi ARGS in project NAME, stores
# the seconds in fig[KEY]; dies with the log's end on failure.
timed() {
	local key=$1 name=$2 logname=$3 t0
	shift 3
	t0=$(now)
	pulumi_in "$name" "$@" >"$work/$logname.log" 2>&1 || {
		tail -n 40 "$work/$logname.log" >&2
		die "$logname: pulumi $* failed (log above)"
	}
	fig[$key]=$(since "$t0")
	log "$logname: ${fig[$key]}s"
}

count_resources() { pulumi_in "$1" stack export | grep -c '"urn": ' || true; }

# workload_stack N BACKEND: up, no-op preview, one-tag release, destroy of
# an N-service workload stack, run as workload stacks run.
workload_stack() {
	local n=$1 b=$2 name="w$1-$2" k="$1_$2"
	log "$name: $n services, one environment, $b backend, checkpoints skipped"
	cluster_up "$name"
	project "$name" "$b" skip "$n" 1
	pulumi_in "$name" config set --secret ack-platform:kubeconfig <"$kubeconfig" >/dev/null
	timed "up_$k" "$name" "$name-up" up --yes --skip-preview --refresh
	fig[resources_$n]=$(count_resources "$name")
	timed "preview_$k" "$name" "$name-preview" preview --expect-no-changes
	timed "previewr_$k" "$name" "$name-preview-refresh" preview --expect-no-changes --refresh
	pulumi_in "$name" config set --path ack-platform:environments.dev.releases.gateway 9.9.9 >/dev/null
	timed "release_$k" "$name" "$name-release" up --yes --skip-preview --refresh
	grep -q '1 updated' "$work/$name-release.log" || die "$name: the release did not update exactly one resource: $(grep -E 'updated|changed|created' "$work/$name-release.log" | tr '\n' ' ')"
	timed "destroy_$k" "$name" "$name-destroy" destroy --yes --skip-preview
	cluster_down "$name"
}

# checkpointed_up N ENVS KEY: the first `up` with every checkpoint written
# (the engine's default), file backend; stored as fig[KEY].
checkpointed_up() {
	local n=$1 envs=$2 key=$3 name="c$1x$2"
	log "$name: $n services x $envs environments, file backend, every checkpoint written"
	cluster_up "$name"
	project "$name" file all "$n" "$envs"
	pulumi_in "$name" config set --secret ack-platform:kubeconfig <"$kubeconfig" >/dev/null
	timed "$key" "$name" "$name-up" up --yes --skip-preview
	fig[${key}_resources]=$(count_resources "$name")
	cluster_down "$name"
}

# floor N: kubectl apply --server-side and kubectl diff --server-side of
# the objects of the N-service stack, rendered to YAML by render mode.
floor() {
	local n=$1 name="r$1" render f
	log "$name: render mode, then kubectl"
	project "$name" file skip "$n" 1
	render="$work/$name/rendered"
	pulumi_in "$name" config set --path ack-platform:local.renderDir "$render" >/dev/null
	pulumi_in "$name" up --yes --skip-preview >"$work/$name-render.log" 2>&1 || {
		tail -n 40 "$work/$name-render.log" >&2
		die "$name: render failed (log above)"
	}
	local files=() nsargs=()
	while IFS= read -r f; do files+=("$f"); done < <(find "$render" -type f \( -name '*.yaml' -o -name '*.yml' \) | sort)
	[ ${#files[@]} -gt 0 ] || die "$name: nothing rendered in $render"
	while IFS= read -r f; do nsargs+=(-f "$f"); done < <(grep -l '^kind: Namespace$' "${files[@]}" || true)
	fig[objects_$n]=$(cat "${files[@]}" | grep -c '^kind: ' || true)
	cluster_up "$name"
	local t0
	t0=$(now)
	{
		# Namespaces first: kubectl applies in file order and a namespaced
		# object cannot be created before its namespace.
		[ ${#nsargs[@]} -eq 0 ] || kubectl --kubeconfig "$kubeconfig" apply --server-side --field-manager=bench "${nsargs[@]}"
		kubectl --kubeconfig "$kubeconfig" apply --server-side --field-manager=bench -R -f "$render"
	} >"$work/$name-apply.log" 2>&1 || {
		tail -n 40 "$work/$name-apply.log" >&2
		die "$name: kubectl apply failed (log above)"
	}
	fig[apply_$n]=$(since "$t0")
	t0=$(now)
	# Exit status 0: no difference, 1: differences, >1: an error.
	local rc=0
	kubectl --kubeconfig "$kubeconfig" diff --server-side --field-manager=bench -R -f "$render" >"$work/$name-diff.log" 2>&1 || rc=$?
	[ "$rc" -le 1 ] || { tail -n 40 "$work/$name-diff.log" >&2; die "$name: kubectl diff failed"; }
	fig[diff_$n]=$(since "$t0")
	log "$name: apply ${fig[apply_$n]}s, diff ${fig[diff_$n]}s (exit $rc)"
	cluster_down "$name"
}

# --- the runs ------------------------------------------------------------------

for n in $sizes; do
	workload_stack "$n" file
	workload_stack "$n" s3
	case " $ckpt_sizes " in *" $n "*) checkpointed_up "$n" 1 "ckpt_$n" ;; esac
	floor "$n"
done
checkpointed_up "$combined" 3 combined
fig[total]=$(since "$began_all")

# --- report ------------------------------------------------------------------

cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null || uname -m)
mem=$(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo 2>/dev/null || echo "?")
load=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo "?")
machine="$(nproc) cores ($cpu), $mem, $(go version | awk '{ print $3, $4 }'), $(uname -sr)"
pver=$(pulumi version)
kver=$(kubectl version --client -o json 2>/dev/null | awk -F'"' '/gitVersion/ { print $4; exit }')

v() { printf '%s' "${fig[$1]:-n/a}"; }
secs() { [ -n "${fig[$1]:-}" ] && printf '%ss' "${fig[$1]}" || printf 'n/a'; }
largest=${sizes##* }

# growth N1 N2 KEY_SUFFIX: time factor per doubling of the resource count
# between sizes N1 and N2 of figure KEY (up, release, ...).
growth() {
	awk -v t1="${fig[$3_$1]:-}" -v t2="${fig[$3_$2]:-}" -v r1="${fig[resources_${1%%_*}]:-}" -v r2="${fig[resources_${2%%_*}]:-}" \
		'BEGIN { if (t1 == "" || t2 == "" || r1 == "" || r2 == "" || t1 <= 0 || r2 <= r1) print "n/a"; else printf "%.2fx", exp(log(t2 / t1) * log(2) / log(r2 / r1)) }'
}

# shellcheck disable=SC2016 # backquotes are Markdown here
scale=$(
	printf '| figure |'
	for n in $sizes; do printf ' %s svc, file | %s svc, S3 |' "$n" "$n"; done
	printf '\n|---|'
	for _ in $sizes; do printf -- '---:|---:|'; done
	printf '\n'
	row() {
		local label=$1 key=$2 n
		printf '| %s |' "$label"
		for n in $sizes; do printf ' %s | %s |' "$(secs "${key}_${n}_file")" "$(secs "${key}_${n}_s3")"; done
		printf '\n'
	}
	printf '| resources in the state / objects rendered |'
	for n in $sizes; do printf ' %s / %s | |' "$(v "resources_$n")" "$(v "objects_$n")"; done
	printf '\n'
	row '`pulumi up --refresh` (create)' up
	row '`pulumi preview`, no change' preview
	row '`pulumi preview --refresh`, no change' previewr
	row 'one-tag release (`up --refresh`)' release
	row '`pulumi destroy`' destroy
	if [ -n "$ckpt_sizes" ]; then
		printf '| `pulumi up`, every checkpoint written |'
		for n in $sizes; do printf ' %s | |' "$(secs "ckpt_$n")"; done
		printf '\n'
	fi
	printf '| `kubectl apply --server-side` (floor) |'
	for n in $sizes; do printf ' %s | |' "$(secs "apply_$n")"; done
	printf '\n| `kubectl diff --server-side`, no change (floor) |'
	for n in $sizes; do printf ' %s | |' "$(secs "diff_$n")"; done
	printf '\n'
)

growth_cells=""
prev=""
for n in $sizes; do
	if [ -n "$prev" ]; then
		growth_cells+="$prev→$n services: up $(growth "${prev}_file" "${n}_file" up), release $(growth "${prev}_file" "${n}_file" release); "
	fi
	prev=$n
done

# shellcheck disable=SC2016
targets=$(
	printf '| target | measured (file backend) |\n|---|---|\n'
	printf '| `up` of %s services ≤ 3× `kubectl apply --server-side` | %s |\n' "$largest" "$(ratio "$(v "up_${largest}_file")" "$(v "apply_$largest")")"
	printf '| no-op `preview` ≤ 2× `kubectl diff --server-side` | %s (with `--refresh`: %s) |\n' \
		"$(ratio "$(v "preview_${largest}_file")" "$(v "diff_$largest")")" "$(ratio "$(v "previewr_${largest}_file")" "$(v "diff_$largest")")"
	printf '| one-tag release ≤ 15 s at %s services | %s (S3: %s) |\n' "$largest" "$(secs "release_${largest}_file")" "$(secs "release_${largest}_s3")"
	printf '| doubling the size ≤ 2.3× the time (per doubling of resources) | %s |\n' "${growth_cells%; }"
)

# shellcheck disable=SC2016
layout=$(
	printf '| stack | resources | `pulumi up` |\n|---|---:|---:|\n'
	printf '| before the split: %s services x 3 environments in one stack, every checkpoint written | %s | %s |\n' \
		"$combined" "$(v combined_resources)" "$(secs combined)"
	if [ -n "${fig[ckpt_$combined]:-}" ]; then
		printf '| largest workload stack: %s services, one environment, every checkpoint written | %s | %s |\n' \
			"$combined" "$(v "resources_$combined")" "$(secs "ckpt_$combined")"
	fi
	printf '| largest workload stack: %s services, one environment, as workload stacks run (checkpoints skipped, `--refresh`) | %s | %s |\n' \
		"$combined" "$(v "resources_$combined")" "$(secs "up_${combined}_file")"
)

build_rows=""
if $build; then
	# shellcheck disable=SC2016
	build_rows=$(
		printf '| figure | time |\n|---|---:|\n'
		printf '| go build, cold GOCACHE (module cache warm) | %s |\n' "$(secs build_cold)"
		printf '| go build, warm | %s |\n' "$(secs build_warm)"
		printf '| unit tests (`go test -count=1 %s`) | %s |\n' "${unit_pkgs[*]}" "$(secs unit)"
	)
fi

report=$(
	echo "Machine: $machine. Pulumi $pver, kubectl $kver. Load average at the end: $load. Whole run: $(v total)s."
	echo
	printf '%s\n' "$scale"
	echo
	printf '%s\n' "$targets"
	echo
	printf '%s\n' "$layout"
	if [ -n "$build_rows" ]; then
		echo
		printf '%s\n' "$build_rows"
	fi
)

echo
printf '%s\n' "$report"

if $record; then
	doc="$root/docs/benchmarks.md"
	[ -f "$doc" ] || die "$doc missing"
	{
		echo
		echo "### $(date -u '+%Y-%m-%d %H:%M UTC')"
		echo
		printf '%s\n' "$report"
	} >>"$doc"
	log "appended to docs/benchmarks.md"
fi
