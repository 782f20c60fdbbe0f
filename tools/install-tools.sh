#!/usr/bin/env bash
# Installs the pinned toolchain into .tools/bin, built from Go modules only
# (any GOPROXY works, mirrors included) plus Debian packages. Every tool is
# built once per version into a cache outside the work tree, so a fresh clone
# on the same machine, or a second run, only re-links what is already built.
#
#   tools/install-tools.sh [tool ...]   # default: every tool
#
# Environment: ACK_TOOLS_CACHE (default ~/.cache/ack-platform/tools);
# ACK_TOOLS_BIN (default .tools/bin), where the links go.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
toolchain="$root/tools/toolchain"
bin="${ACK_TOOLS_BIN:-$root/.tools/bin}"
cache="${ACK_TOOLS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ack-platform/tools}"
mkdir -p "$bin" "$cache"

# Pinned versions: change them here only.
PULUMI_VERSION=v3.274.1
LANGHOST_SDK_VERSION=v3.66.0        # last sdk/v3 that carries go/pulumi-language-go
K8S_PROVIDER_VERSION=4.32.0         # matches pulumi-kubernetes/sdk/v4 in go.mod
KUBERNETES_VERSION=v1.37.2
KUBE_SCORE_VERSION=v1.20.0
ACTIONLINT_VERSION=v1.7.12
KUBE_NETWORK_POLICIES_VERSION=v0.8.0 # SIG Network's NetworkPolicy reference implementation, as kind runs it

log() { printf '[tools] %s\n' "$*" >&2; }

# link NAME PATH: expose a cached binary in .tools/bin.
link() { ln -sf "$2" "$bin/$1"; }

# system_bin NAME: the path of a command installed on the system, searched
# on PATH without .tools/bin. Make puts .tools/bin first on PATH, so a plain
# `command -v` on a second run finds the link itself, and linking to that
# would make the link point at itself.
system_bin() {
	local dir path
	local IFS=:
	for dir in $PATH; do
		[ -n "$dir" ] || continue
		[ "$(cd "$dir" 2>/dev/null && pwd -P)" = "$(cd "$bin" && pwd -P)" ] && continue
		path="$dir/$1"
		if [ -x "$path" ] && [ ! -d "$path" ]; then
			printf '%s' "$path"
			return 0
		fi
	done
	echo "install-tools: $1 not found on PATH outside $bin" >&2
	return 1
}

# cached NAME VERSION: prints the cache path of a tool; true when it exists.
cached() {
	local path="$cache/$1/$2/$1"
	printf '%s' "$path"
	[ -x "$path" ]
}

# gobuild MODULE_DIR OUT PACKAGE [LDFLAGS]: builds a package of a wrapper
# module into OUT, atomically so an interrupted build leaves no half binary.
# No -trimpath nor CGO_ENABLED=0: the build cache is then shared with `go run` of tools/sdkgen,
# which compiles much of the same pulumi/pkg code.
gobuild() {
	local dir=$1 out=$2 pkg=$3 ldflags=${4:-}
	mkdir -p "$(dirname "$out")"
	local start=$SECONDS
	(cd "$dir" && go build -ldflags "-s -w $ldflags" -o "$out.tmp" "$pkg")
	mv "$out.tmp" "$out"
	log "built $(basename "$out") in $((SECONDS - start)) s"
}

install_pulumi() {
	local system
	if system=$(system_bin pulumi 2>/dev/null) && [ "$("$system" version 2>/dev/null)" = "$PULUMI_VERSION" ]; then
		log "pulumi $PULUMI_VERSION found on PATH"
		link pulumi "$system"
		return
	fi
	local out
	if ! out=$(cached pulumi "$PULUMI_VERSION"); then
		log "building pulumi $PULUMI_VERSION (cold: ~8 min)"
		# The Automation API refuses an unversioned CLI.
		gobuild "$toolchain/pulumi" "$out" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi \
			"-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$PULUMI_VERSION"
	fi
	link pulumi "$out"
}

install_langhost() {
	local out
	if ! out=$(cached pulumi-language-go "$LANGHOST_SDK_VERSION"); then
		log "building pulumi-language-go from sdk/v3 $LANGHOST_SDK_VERSION"
		gobuild "$toolchain/langhost" "$out" github.com/pulumi/pulumi/sdk/v3/go/pulumi-language-go \
			"-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$LANGHOST_SDK_VERSION"
	fi
	link pulumi-language-go "$out"
}

install_k8s_provider() {
	local out
	if ! out=$(cached pulumi-resource-kubernetes "$K8S_PROVIDER_VERSION"); then
		log "building pulumi-resource-kubernetes $K8S_PROVIDER_VERSION (cold: ~13 min)"
		local dir="$toolchain/k8sprovider"
		local src
		src=$(cd "$dir" && go list -m -f '{{.Dir}}' github.com/pulumi/pulumi-kubernetes/provider/v4 2>/dev/null || true)
		if [ -z "$src" ] || [ ! -d "$src" ]; then
			(cd "$dir" && go mod download github.com/pulumi/pulumi-kubernetes/provider/v4)
			src=$(cd "$dir" && go list -m -f '{{.Dir}}' github.com/pulumi/pulumi-kubernetes/provider/v4)
		fi
		# The main package embeds schema-embed.json and terraform-mapping-embed.json,
		# which the provider's release process makes from the JSON files beside it.
		local gen="$dir/cmd/pulumi-resource-kubernetes"
		rm -rf "$gen" && mkdir -p "$gen"
		cp "$src/cmd/pulumi-resource-kubernetes/"{main.go,schema.json,terraform-mapping.json} "$gen/"
		chmod u+w "$gen"/*
		(cd "$dir" && go run ./embedgen -version "$K8S_PROVIDER_VERSION" -dir "$gen")
		gobuild "$dir" "$out" ./cmd/pulumi-resource-kubernetes \
			"-X github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version.Version=$K8S_PROVIDER_VERSION"
	fi
	link pulumi-resource-kubernetes "$out"
}

# install_kubernetes [COMMAND...]: commands of k8s.io/kubernetes (default:
# the control plane and kubectl).
install_kubernetes() {
	local cmds=("$@")
	[ ${#cmds[@]} -gt 0 ] || cmds=(kube-apiserver kube-controller-manager kubectl)
	local ldflags="-X k8s.io/component-base/version.gitVersion=$KUBERNETES_VERSION \
-X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=37 \
-X k8s.io/component-base/version.gitTreeState=clean \
-X k8s.io/client-go/pkg/version.gitVersion=$KUBERNETES_VERSION"
	local cmd out
	for cmd in "${cmds[@]}"; do
		if ! out=$(cached "$cmd" "$KUBERNETES_VERSION"); then
			log "building $cmd $KUBERNETES_VERSION (cold: ~11 min for the first)"
			gobuild "$toolchain/kubernetes" "$out" "k8s.io/kubernetes/cmd/$cmd" "$ldflags"
		fi
		link "$cmd" "$out"
	done
}

# goinstall NAME VERSION PACKAGE: tools whose modules install as they are.
goinstall() {
	local name=$1 version=$2 pkg=$3 out
	if ! out=$(cached "$name" "$version"); then
		log "installing $name $version"
		GOBIN="$(dirname "$out")" go install "$pkg@$version"
	fi
	link "$name" "$out"
}

apt_install() {
	local missing=()
	local pkg
	for pkg in "$@"; do
		dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
	done
	[ ${#missing[@]} -eq 0 ] && return
	log "apt-get install ${missing[*]}"
	local sudo=""
	[ "$(id -u)" -eq 0 ] || sudo=sudo
	$sudo apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# install_node: what the local cluster's node runs (tools/cluster.sh up
# --node): kubelet, kube-proxy and kube-scheduler from the same Kubernetes
# wrapper module as the control plane; kube-network-policies; containerd,
# runc, the CNI plugins, conntrack, iptables and a static busybox (for the
# stand-in images whose real base has a shell) from Debian; the stand-ins.
install_node() {
	apt_install containerd runc containernetworking-plugins conntrack iptables busybox-static
	local b
	for b in containerd ctr runc busybox; do link "$b" "$(system_bin "$b")"; done
	install_kubernetes kubelet kube-proxy kube-scheduler
	local out
	if ! out=$(cached kube-network-policies "$KUBE_NETWORK_POLICIES_VERSION"); then
		log "installing kube-network-policies $KUBE_NETWORK_POLICIES_VERSION"
		local tmp
		tmp=$(mktemp -d)
		# Its main package is cmd/: the binary comes out named "cmd".
		GOBIN="$tmp" CGO_ENABLED=0 go install "sigs.k8s.io/kube-network-policies/cmd@$KUBE_NETWORK_POLICIES_VERSION"
		mkdir -p "$(dirname "$out")"
		mv "$tmp/cmd" "$out"
		rm -rf "$tmp"
	fi
	link kube-network-policies "$out"
	install_standin
}

# install_standin: the stand-in program (tools/standin), cached by a hash of
# its sources: it is part of this repository, not a pinned release. Static
# (CGO_ENABLED=0): the same binary runs on the host and inside the images.
install_standin() {
	local src=$root/tools/standin hash out
	hash=$(cd "$src" && find . -type f \( -name '*.go' -o -name go.mod -o -name go.sum \) -print0 | sort -z |
		xargs -0 sha256sum | sha256sum | cut -c1-16)
	if ! out=$(cached standin "$hash"); then
		log "building standin ($hash)"
		mkdir -p "$(dirname "$out")"
		local start=$SECONDS
		(cd "$src" && CGO_ENABLED=0 go build -ldflags "-s -w" -o "$out.tmp" .)
		mv "$out.tmp" "$out"
		log "built standin in $((SECONDS - start)) s"
	fi
	link standin "$out"
}

install_etcd() {
	apt_install etcd-server
	# Debian's etcd-server enables a system service; the tests start their own.
	if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet etcd 2>/dev/null; then
		systemctl stop etcd || true
	fi
	link etcd "$(system_bin etcd)"
}

install_graphviz() {
	apt_install graphviz
	link dot "$(system_bin dot)"
}

# install_emulator: the emulated alicloud provider for rehearsals
# (tools/emulator). Its version is a digest of its sources and go.sum. It is
# linked into .tools/emulator/, never into .tools/bin: nothing on PATH, and
# no Pulumi.yaml of the project names it, so a real deployment cannot pick
# it up (the binary also refuses to start without ACK_ALICLOUD_EMULATOR=1).
install_emulator() {
	local version out dir="${ACK_EMULATOR_DIR:-$root/.tools/emulator}"
	version=$(cd "$root" && find tools/emulator -name '*.go' -not -name '*_test.go' | LC_ALL=C sort |
		xargs cat go.mod go.sum | sha256sum | cut -c1-16)
	out="$cache/alicloud-emulator/$version/pulumi-resource-alicloud"
	if [ ! -x "$out" ]; then
		log "building the emulated alicloud provider $version"
		gobuild "$root" "$out" ./tools/emulator
	fi
	mkdir -p "$dir"
	ln -sf "$out" "$dir/pulumi-resource-alicloud"
}

# The real node (kubelet, kube-proxy, kube-scheduler, kube-network-policies,
# containerd, stand-in images) is built by `make node-tools` (which `make
# test` and `make cluster-up` run), not by default: `make render`, the main
# job, needs no node.
all=(pulumi langhost k8s-provider kubernetes kube-score actionlint etcd graphviz emulator)
[ $# -gt 0 ] || set -- "${all[@]}"
for tool in "$@"; do
	case $tool in
	pulumi) install_pulumi ;;
	langhost) install_langhost ;;
	k8s-provider) install_k8s_provider ;;
	kubernetes) install_kubernetes ;;
	kube-score) goinstall kube-score "$KUBE_SCORE_VERSION" github.com/zegl/kube-score/cmd/kube-score ;;
	actionlint) goinstall actionlint "$ACTIONLINT_VERSION" github.com/rhysd/actionlint/cmd/actionlint ;;
	etcd) install_etcd ;;
	graphviz) install_graphviz ;;
	emulator) install_emulator ;;
	node) install_node ;;
	standin) install_standin ;;
	*) echo "unknown tool: $tool (one of: ${all[*]})" >&2; exit 2 ;;
	esac
done
# Every link must resolve to an executable: a dangling or self-referencing
# link would only show later, as a tool missing in the middle of a test.
for l in "$bin"/*; do
	[ -L "$l" ] || continue
	if [ ! -x "$(readlink -f "$l" 2>/dev/null)" ] || [ -d "$(readlink -f "$l")" ]; then
		echo "install-tools: $l does not resolve to an executable" >&2
		exit 1
	fi
done
log "tools ready in $bin"
