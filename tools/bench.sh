#!/usr/bin/env bash
# Benchmarks of the program, printed side by side and recorded in
# docs/benchmarks.md (`make bench`):
#   - go build of the program: cold (empty GOCACHE, module cache warm) and warm;
#   - the unit-test packages;
#   - for the demo catalog (the local stack) and a synthetic one (-s services
#     x -e environments, made by tools/bench): real-engine `pulumi up`, a
#     no-op `pulumi preview` (--expect-no-changes) and `pulumi destroy`
#     against a local API server (tools/cluster.sh); then the same stack
#     rendered to YAML (render mode) and `kubectl apply --server-side` of
#     those manifests into a fresh cluster, with the ratio engine / kubectl.
#
#   tools/bench.sh [-s SERVICES] [-e ENVS] [--no-record] [--skip-build]
#
# --skip-build leaves out the build and unit-test figures; --no-record only
# prints the table.
# Everything runs in a temporary directory (file backend, PULUMI_HOME,
# GOCACHE of the cold build) removed at the end; the repository's stack
# files are never touched. Needs `make tools`.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bin="$root/.tools/bin"
services=100
envs=3
record=true
build=true
while [ $# -gt 0 ]; do
	case $1 in
	-s) services=$2; shift 2 ;;
	-e) envs=$2; shift 2 ;;
	--no-record) record=false; shift ;;
	--skip-build) build=false; shift ;;
	-h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	*) echo "unknown argument $1 (see --help)" >&2; exit 2 ;;
	esac
done

log() { printf '[bench] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

for t in pulumi pulumi-language-go pulumi-resource-kubernetes kubectl etcd kube-apiserver kube-controller-manager; do
	[ -x "$bin/$t" ] || die "$bin/$t missing: run make tools"
done
command -v go >/dev/null || die "go not on PATH"

export PATH="$bin:$PATH"
export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true PULUMI_SKIP_UPDATE_CHECK=true
export PULUMI_CONFIG_PASSPHRASE=bench-passphrase-not-a-secret
# Every Kubernetes resource uses the program's explicit provider; an
# inherited KUBECONFIG would only be read by it as a default, which render
# mode refuses.
unset KUBECONFIG

work=$(mktemp -d "${TMPDIR:-/tmp}/ack-bench.XXXXXX")
clusters=()
cleanup() {
	local c
	for c in "${clusters[@]}"; do "$root/tools/cluster.sh" down "$c" >/dev/null 2>&1 || true; done
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# now: seconds since the epoch, with decimals.
now() { printf '%s' "${EPOCHREALTIME:-$(date +%s.%N)}"; }
# since T0: seconds elapsed since T0, one decimal.
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

declare -A fig # figure name -> value

# --- build and unit tests ----------------------------------------------------

unit_pkgs=()
for p in platform workloads sdk; do [ -d "$root/tests/$p" ] && unit_pkgs+=("./tests/$p/..."); done

if $build; then
	log "go build, cold cache (module cache warm)"
	t0=$(now)
	(cd "$root" && GOCACHE="$work/gocache" go build -o "$work/ack-platform" .)
	fig[build_cold]=$(since "$t0")
	log "go build, warm cache"
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

# --- engine vs kubectl -------------------------------------------------------

# cluster_up NAME: starts a fresh local cluster; sets $kubeconfig.
cluster_up() {
	local dir="$work/cluster-$1"
	"$root/tools/cluster.sh" up --owner $$ "$dir" >/dev/null
	clusters+=("$dir")
	kubeconfig="$dir/kubeconfig"
}

cluster_down() { "$root/tools/cluster.sh" down "$work/cluster-$1" >/dev/null 2>&1 || true; }

# pulumi_in DIR HOME ARGS...: pulumi in project DIR with its own backend.
pulumi_in() {
	local dir=$1 state=$2
	shift 2
	(cd "$dir" && PULUMI_HOME="$state/home" PULUMI_BACKEND_URL="file://$state/backend" \
		pulumi "$@" --non-interactive)
}

# project NAME STACK [GENERATOR ARGS]: a project directory for STACK, its
# secrets set to throwaway values; prints nothing, sets $proj and $state.
project() {
	local name=$1 stack=$2
	shift 2
	proj="$work/$name/project"
	state="$work/$name/state"
	mkdir -p "$proj" "$state/backend" "$state/home"
	"$work/benchgen" -out "$proj" -stack "$stack" "$@" >"$work/$name/generated"
	pulumi_in "$proj" "$state" stack init "$stack" >/dev/null
	local key
	while read -r key; do
		[ -n "$key" ] || continue
		openssl rand -hex 16 | pulumi_in "$proj" "$state" config set --secret "$key" --stack "$stack" >/dev/null
	done <"$proj/secret-keys"
}

# count_resources DIR STATE STACK: resources in the state.
count_resources() {
	pulumi_in "$1" "$2" stack export --stack "$3" | grep -c '"urn": ' || true
}

# bench_catalog LABEL STACK [GENERATOR ARGS]: the engine and kubectl figures
# of one catalog, stored as fig[<figure>_LABEL].
bench_catalog() {
	local label=$1 stack=$2
	shift 2
	local t0 deploy render

	log "$label: pulumi up against a local cluster"
	cluster_up "$label-engine"
	project "$label-engine" "$stack" "$@"
	deploy=$proj
	log "$label: $(cat "$work/$label-engine/generated")"
	pulumi_in "$deploy" "$state" config set --secret ack-platform:kubeconfig --stack "$stack" <"$kubeconfig" >/dev/null
	t0=$(now)
	pulumi_in "$deploy" "$state" up --yes --skip-preview --stack "$stack" >"$work/$label-up.log" 2>&1 || {
		tail -n 40 "$work/$label-up.log" >&2
		die "$label: pulumi up failed (log above)"
	}
	fig[up_$label]=$(since "$t0")
	fig[resources_$label]=$(count_resources "$deploy" "$state" "$stack")

	log "$label: no-op pulumi preview"
	t0=$(now)
	pulumi_in "$deploy" "$state" preview --expect-no-changes --stack "$stack" >"$work/$label-preview.log" 2>&1 || {
		tail -n 40 "$work/$label-preview.log" >&2
		die "$label: the preview after up is not a no-op (log above)"
	}
	fig[preview_$label]=$(since "$t0")

	log "$label: pulumi destroy"
	t0=$(now)
	pulumi_in "$deploy" "$state" destroy --yes --skip-preview --stack "$stack" >"$work/$label-destroy.log" 2>&1 || {
		tail -n 40 "$work/$label-destroy.log" >&2
		die "$label: pulumi destroy failed (log above)"
	}
	fig[destroy_$label]=$(since "$t0")
	cluster_down "$label-engine"

	log "$label: render mode"
	project "$label-render" "$stack" "$@"
	render="$work/$label-render/rendered"
	pulumi_in "$proj" "$state" config set --path ack-platform:local.renderDir "$render" --stack "$stack" >/dev/null
	t0=$(now)
	pulumi_in "$proj" "$state" up --yes --skip-preview --stack "$stack" >"$work/$label-render.log" 2>&1 || {
		tail -n 40 "$work/$label-render.log" >&2
		die "$label: render failed (log above)"
	}
	fig[render_$label]=$(since "$t0")

	log "$label: kubectl apply --server-side into a fresh cluster"
	cluster_up "$label-kubectl"
	local files=() nsfiles=() f
	while IFS= read -r f; do files+=("$f"); done < <(find "$render" -type f \( -name '*.yaml' -o -name '*.yml' \) | sort)
	[ ${#files[@]} -gt 0 ] || die "$label: nothing rendered in $render"
	while IFS= read -r f; do nsfiles+=("$f"); done < <(grep -l '^kind: Namespace$' "${files[@]}" || true)
	fig[objects_$label]=$(cat "${files[@]}" | grep -c '^kind: ' || true)
	t0=$(now)
	{
		# Namespaces first: kubectl applies in file order and a namespaced
		# object cannot be created before its namespace.
		if [ ${#nsfiles[@]} -gt 0 ]; then
			local nsargs=()
			for f in "${nsfiles[@]}"; do nsargs+=(-f "$f"); done
			kubectl --kubeconfig "$kubeconfig" apply --server-side --field-manager=bench "${nsargs[@]}"
		fi
		kubectl --kubeconfig "$kubeconfig" apply --server-side --field-manager=bench -R -f "$render"
	} >"$work/$label-kubectl.log" 2>&1 || {
		tail -n 40 "$work/$label-kubectl.log" >&2
		die "$label: kubectl apply failed (log above)"
	}
	fig[kubectl_$label]=$(since "$t0")
	cluster_down "$label-kubectl"
	fig[ratio_$label]=$(awk -v a="${fig[up_$label]}" -v b="${fig[kubectl_$label]}" 'BEGIN { printf "%.1fx", a / b }')
}

log "building tools/bench"
(cd "$root" && go build -o "$work/benchgen" ./tools/bench)
bench_catalog demo local
bench_catalog synthetic bench -services "$services" -envs "$envs"

# --- report ------------------------------------------------------------------

cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null || uname -m)
mem=$(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo 2>/dev/null || echo "?")
machine="$(nproc) cores ($cpu), $mem, $(go version | awk '{ print $3, $4 }'), $(uname -sr)"
pver=$(pulumi version)
kver=$(kubectl version --client -o json 2>/dev/null | awk -F'"' '/gitVersion/ { print $4; exit }')

s() { printf '%s' "${fig[$1]:-n/a}"; }
secs() { [ -n "${fig[$1]:-}" ] && printf '%ss' "${fig[$1]}" || printf 'n/a'; }
demo_desc=$(sed 's/services=\([0-9]*\) environments=\([0-9]*\).*/\1 services x \2 envs/' "$work/demo-engine/generated")
syn_desc="$services services x $envs envs"

# shellcheck disable=SC2016 # backquotes are Markdown here
table=$(
	printf '| figure | demo catalog (%s) | synthetic catalog (%s) |\n' "$demo_desc" "$syn_desc"
	printf '|---|---:|---:|\n'
	printf '| go build, cold GOCACHE (module cache warm) | %s | same program |\n' "$(secs build_cold)"
	printf '| go build, warm | %s | same program |\n' "$(secs build_warm)"
	printf '| unit tests (`go test -count=1 %s`) | %s | - |\n' "${unit_pkgs[*]}" "$(secs unit)"
	printf '| resources in the state | %s | %s |\n' "$(s resources_demo)" "$(s resources_synthetic)"
	printf '| Kubernetes objects rendered | %s | %s |\n' "$(s objects_demo)" "$(s objects_synthetic)"
	printf '| `pulumi up` (create, local API server) | %s | %s |\n' "$(secs up_demo)" "$(secs up_synthetic)"
	printf '| `pulumi preview`, no changes | %s | %s |\n' "$(secs preview_demo)" "$(secs preview_synthetic)"
	printf '| `pulumi destroy` | %s | %s |\n' "$(secs destroy_demo)" "$(secs destroy_synthetic)"
	printf '| `pulumi up`, render mode (YAML files) | %s | %s |\n' "$(secs render_demo)" "$(secs render_synthetic)"
	printf '| `kubectl apply --server-side` of the rendered YAML | %s | %s |\n' "$(secs kubectl_demo)" "$(secs kubectl_synthetic)"
	printf '| ratio `pulumi up` / `kubectl apply` | %s | %s |\n' "$(s ratio_demo)" "$(s ratio_synthetic)"
)

echo
echo "machine: $machine"
echo "tools:   pulumi $pver, kubectl $kver, cluster: tools/cluster.sh (no kubelet)"
echo
printf '%s\n' "$table" | sed 's/^| //; s/ |$//; /^|---/d' | awk -F' \\| ' '{ printf "%-52s %-28s %s\n", $1, $2, $3 }'

if $record; then
	doc="$root/docs/benchmarks.md"
	if [ ! -f "$doc" ]; then
		cat >"$doc" <<'EOF'
# Benchmarks

`make bench` (tools/bench.sh) measures the build, the unit tests, and the
real engine against a local API server (tools/cluster.sh: etcd,
kube-apiserver, kube-controller-manager, no kubelet) for the demo catalog
(the `local` stack) and a synthetic catalog made by tools/bench, compared
with `kubectl apply --server-side` of the same objects rendered to YAML.
Each run appends a section below. Figures are wall-clock seconds of one run;
other work on the machine shows in them.
EOF
	fi
	{
		echo
		echo "## $(date -u '+%Y-%m-%d %H:%M UTC')"
		echo
		echo "Machine: $machine. Pulumi $pver, kubectl $kver."
		echo
		printf '%s\n' "$table"
	} >>"$doc"
	log "appended to docs/benchmarks.md"
fi
