#!/usr/bin/env bash
# A local Kubernetes cluster for tests: etcd, kube-apiserver and
# kube-controller-manager on loopback, on free ports picked at run time.
# Without --node there is no kubelet and no scheduler: objects (Pods
# included) are admitted, stored and reconciled by the controllers, but no
# container ever runs. With --node (root only, one per machine: a lock
# under /tmp makes a second one wait) a node joins: containerd, kubelet,
# kube-proxy, kube-scheduler, NetworkPolicy enforcement, a cluster DNS and
# stand-in images (docs/local-cluster.md).
#
#   tools/cluster.sh up [--node] [--tmp] [--owner PID] [DIR]   # start, wait until usable
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
# Environment: CLUSTER_TIMEOUT (seconds `up` waits, default 120; 600 with a node),
#              NODE_LOCK_TIMEOUT (seconds `up --node` waits for the node lock, default 1800),
#              ACK_TOOLS_BIN (directory of the binaries, default .tools/bin).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
self="$root/tools/cluster.sh"
bindir="${ACK_TOOLS_BIN:-$root/.tools/bin}"
timeout="${CLUSTER_TIMEOUT:-}"
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
	case $name in
	watchdog) name=cluster.sh ;;
	standin-*) name=standin ;; # "standin registry", "standin dnsfeed"
	esac
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

# stop_all [--keep-watchdog | --keep NAME...]: TERM every recorded process
# (newest first) but the kept ones, wait, then KILL.
stop_all() {
	local keep=" " name pid pids=() left recorded
	case ${1:-} in
	--keep-watchdog) keep=" watchdog " ;;
	--keep) shift; keep=" $* " ;;
	esac
	recorded=$(cat "$dir/pids" 2>/dev/null) || return 0
	while read -r name pid; do
		[ -n "$pid" ] || continue
		[ "$pid" = "$$" ] && continue # a watchdog running `down`
		[[ $keep == *" $name "* ]] && continue
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
	if [ "$keep" != " " ]; then
		printf '%s\n' "$recorded" | awk -v k="$keep" 'index(k, " " $1 " ")' >"$dir/pids.tmp"
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

# --- node ----------------------------------------------------------------------
# `up --node` adds a node that runs containers: containerd (Debian), the
# kubelet, kube-proxy and kube-scheduler (built like the control plane), the
# CNI bridge plugin (Debian), kube-network-policies (NetworkPolicy), the
# stand-in registry and a cluster DNS (tools/standin). Every file stays in
# DIR/node; the host keeps only what a node needs to exist (a bridge,
# iptables rules, mounts), and `down` removes them.

# Fixed by the kubelet, kube-proxy and the CNI config: one node per machine.
NODE_LOCK=${ACK_NODE_LOCK:-/tmp/ack-platform-node.lock}
NODE_BRIDGE=ack0
POD_CIDR=10.244.0.0/16
POD_SUBNET=10.244.0.0/24
SERVICE_CIDR=10.96.0.0/16
CLUSTER_DNS=10.96.0.10
# The stand-in images the cluster itself needs; the program's images are
# built when a pod asks for them.
STANDIN_REPO=registry.k8s.io/ack-standin
PAUSE_IMAGE=$STANDIN_REPO/pause:1
DNS_IMAGE=$STANDIN_REPO/dns:1
CLIENT_IMAGE=$STANDIN_REPO/client:1
node_components=(node-lock containerd standin-registry standin-dnsfeed standin-statusfeed kube-scheduler kubelet kube-proxy kube-network-policies)

# node_name: the machine's hostname, which resolves to 127.0.0.1 here; the
# API server reaches the kubelet (logs, exec) by the node's hostname.
node_name() { hostname | tr 'A-Z' 'a-z'; }

# kubeconfig_for USER TOKEN FILE: a kubeconfig for one component.
kubeconfig_for() {
	local ca
	ca=$(base64 <"$dir/pki/ca.crt" | tr -d '\n')
	cat >"$3" <<KC
apiVersion: v1
kind: Config
clusters:
- name: ack-local
  cluster: {server: "https://127.0.0.1:$API_PORT", certificate-authority-data: $ca}
users:
- name: $1
  user: {token: $2}
contexts:
- name: ack-local
  context: {cluster: ack-local, user: $1}
current-context: ack-local
KC
	chmod 600 "$3"
}

# node_lock: waits for the machine-wide node lock and holds it in a process
# recorded in DIR/pids, so it lasts as long as the node (any `up` of
# another worktree or test package waits here instead of colliding).
node_lock() {
	# An hour: under `make test` three packages may queue for the node
	# (tests/node, tests/rehearsal, tests/cluster), each holding it for
	# 2 to 20 minutes on a 2-core machine.
	local wait=${NODE_LOCK_TIMEOUT:-3600} held=$dir/node/lock.held
	rm -f "$held"
	: >>"$NODE_LOCK"
	log "taking the node lock $NODE_LOCK (waits up to ${wait}s for another node to stop)"
	(
		exec 9>>"$NODE_LOCK"
		flock -w "$wait" 9 || exit 1
		printf '%s %s\n' "$dir" "$(date -u +%FT%TZ)" >"$held"
		exec -a ack-node-lock sleep 2147483647
	) </dev/null >/dev/null 2>&1 &
	printf 'node-lock %s\n' "$!" >>"$dir/pids"
	local pid=$!
	until [ -f "$held" ]; do
		alive "$pid" || { log "no node lock after ${wait}s: $(cat "$NODE_LOCK.owner" 2>/dev/null)"; return 1; }
		sleep 0.5
	done
	printf '%s\n' "$dir" >"$NODE_LOCK.owner"
}

# node_sweep: removes the network a node killed without `down` left on
# the host (under the lock, so it is never a running node's).
node_sweep() { node_net_cleanup; }

# node_net_cleanup: kube-proxy's and the CNI plugins' iptables rules, the
# policy enforcer's nftables table, the bridge.
node_net_cleanup() {
	local proxy
	if proxy=$(findbin kube-proxy); then
		"$proxy" --cleanup >/dev/null 2>&1 || true
	fi
	local table chain
	for table in nat filter mangle; do
		# The bridge plugin's per-pod masquerade chains and its forward chain.
		for chain in $(iptables -w -t "$table" -S 2>/dev/null | awk '/^-N (CNI-|KUBE-)/ { print $2 }'); do
			iptables -w -t "$table" -S 2>/dev/null | awk -v c="$chain" '$1 == "-A" && $0 ~ ("-j " c "( |$)") { $1 = "-D"; print }' |
				while read -r rule; do eval "iptables -w -t $table $rule" 2>/dev/null || true; done
		done
		for chain in $(iptables -w -t "$table" -S 2>/dev/null | awk '/^-N (CNI-|KUBE-)/ { print $2 }'); do
			iptables -w -t "$table" -F "$chain" 2>/dev/null || true
		done
		for chain in $(iptables -w -t "$table" -S 2>/dev/null | awk '/^-N (CNI-|KUBE-)/ { print $2 }'); do
			iptables -w -t "$table" -X "$chain" 2>/dev/null || true
		done
	done
	if command -v nft >/dev/null 2>&1; then
		nft delete table inet kube-network-policies 2>/dev/null || true
	fi
	if ip link show "$NODE_BRIDGE" >/dev/null 2>&1; then
		ip link delete "$NODE_BRIDGE" 2>/dev/null || true
	fi
}

# node_configs: containerd, CNI, kubelet and kube-proxy configuration.
node_configs() {
	local n=$dir/node name
	name=$(node_name)
	mkdir -p "$n"/{containerd/root,containerd/state,containerd/opt,containerd/certs.d/_default,cni/net.d,cni/ipam,kubelet/pki,kubelet/volume-plugins,dns,pv}
	chmod 755 "$dir" "$n" "$n/dns" # the DNS pod reads its records from here
	cat >"$n/containerd/config.toml" <<TOML
version = 2
root = "$n/containerd/root"
state = "$n/containerd/state"
[grpc]
  address = "$n/containerd/containerd.sock"
[ttrpc]
  address = "$n/containerd/containerd.sock.ttrpc"
[plugins."io.containerd.internal.v1.opt"]
  path = "$n/containerd/opt"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$PAUSE_IMAGE"
  # The sandbox lacks CAP_SYS_RESOURCE: runc cannot lower oom_score_adj
  # below the sandbox's own, so every pod sandbox fails ("can't get final
  # child's PID from pipe: EOF") unless containerd clamps it.
  restrict_oom_score_adj = true
  # Pod network namespaces under the state directory, not /var/run/netns.
  netns_mounts_under_state_dir = true
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        # cgroupfs, like the kubelet: there is no systemd here.
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$n/cni/net.d"
  [plugins."io.containerd.grpc.v1.cri".registry]
    # Every registry host resolves to the stand-in registry (hosts.toml).
    config_path = "$n/containerd/certs.d"
TOML
	cat >"$n/cni/net.d/10-ack-local.conflist" <<JSON
{
  "cniVersion": "0.4.0",
  "name": "ack-local",
  "plugins": [
    {"type": "bridge", "bridge": "$NODE_BRIDGE", "isGateway": true, "ipMasq": true, "hairpinMode": true,
     "ipam": {"type": "host-local", "ranges": [[{"subnet": "$POD_SUBNET"}]], "routes": [{"dst": "0.0.0.0/0"}],
              "dataDir": "$n/cni/ipam"}},
    {"type": "portmap", "capabilities": {"portMappings": true}}
  ]
}
JSON
	cat >"$n/kubelet/config.yaml" <<YAML
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
# This host has cgroup v1: kubelet 1.35+ refuses to start on it unless told
# not to (it then only warns).
failCgroupV1: false
# No systemd on the host: cgroups are managed through the cgroupfs driver,
# as containerd's runc options say too.
cgroupDriver: cgroupfs
containerRuntimeEndpoint: unix://$n/containerd/containerd.sock
address: 127.0.0.1
port: 10250
healthzBindAddress: 127.0.0.1
healthzPort: 10248
readOnlyPort: 0
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: "$dir/pki/kubelet-client-ca.crt"}
authorization: {mode: Webhook}
clusterDomain: cluster.local
clusterDNS: ["$CLUSTER_DNS"]
failSwapOn: false
serializeImagePulls: false
volumePluginDir: "$n/kubelet/volume-plugins"
# A shared CI disk is often fuller than a node's: evict only when it is
# really full, or the node taints itself and nothing schedules.
evictionHard: {memory.available: "100Mi", nodefs.available: "1%", nodefs.inodesFree: "1%", imagefs.available: "1%"}
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
YAML
	cat >"$n/kube-proxy.yaml" <<YAML
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
clientConnection: {kubeconfig: "$n/kube-proxy.kubeconfig"}
hostnameOverride: "$name"
mode: iptables
clusterCIDR: "$POD_CIDR"
healthzBindAddress: 127.0.0.1:10256
metricsBindAddress: 127.0.0.1:10249
iptables: {localhostNodePorts: false}
# kube-proxy raises nf_conntrack_max to maxPerCore x cores at start; the
# sandbox's /proc/sys is read-only for it and kube-proxy exits. 0 leaves
# the host's value alone.
conntrack: {maxPerCore: 0}
YAML
	local tok
	tok=$(awk -F, '$2 == "system:node:'"$name"'" { print $1 }' "$dir/pki/tokens.csv")
	kubeconfig_for "system:node:$name" "$tok" "$n/kubelet.kubeconfig"
	tok=$(awk -F, '$2 == "system:kube-proxy" { print $1 }' "$dir/pki/tokens.csv")
	kubeconfig_for system:kube-proxy "$tok" "$n/kube-proxy.kubeconfig"
	tok=$(awk -F, '$2 == "system:kube-scheduler" { print $1 }' "$dir/pki/tokens.csv")
	kubeconfig_for system:kube-scheduler "$tok" "$n/kube-scheduler.kubeconfig"
}

# registry_hosts ADDR: every registry host is served by the stand-in
# registry (_default applies to hosts without a directory of their own).
registry_hosts() {
	cat >"$dir/node/containerd/certs.d/_default/hosts.toml" <<TOML
[host."http://$1"]
  capabilities = ["pull", "resolve"]
TOML
}

# cluster_objects: what the node needs in the API: the DNS Service and its
# pod, and a default StorageClass with local volumes (there is no cloud disk
# provisioner; the volumes are directories in DIR/node/pv, writable by any
# UID because a hostPath volume does not honour fsGroup).
cluster_objects() {
	local i pvs=""
	for i in 0 1 2 3 4 5 6 7; do
		mkdir -p "$dir/node/pv/pv$i"
		chmod 777 "$dir/node/pv/pv$i"
		pvs+="---
apiVersion: v1
kind: PersistentVolume
metadata: {name: ack-local-pv$i, labels: {app.kubernetes.io/managed-by: ack-local-cluster}}
spec:
  capacity: {storage: 100Gi}
  accessModes: [ReadWriteOnce]
  persistentVolumeReclaimPolicy: Retain
  storageClassName: ack-local
  hostPath: {path: \"$dir/node/pv/pv$i\", type: Directory}
"
	done
	"$(findbin kubectl)" --kubeconfig "$dir/kubeconfig" apply -f - >/dev/null <<YAML
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: ack-local
  annotations: {storageclass.kubernetes.io/is-default-class: "true"}
provisioner: kubernetes.io/no-provisioner
volumeBindingMode: Immediate
reclaimPolicy: Retain
$pvs---
apiVersion: v1
kind: Service
metadata: {name: kube-dns, namespace: kube-system, labels: {k8s-app: kube-dns}}
spec:
  clusterIP: $CLUSTER_DNS
  selector: {k8s-app: kube-dns}
  ports:
  - {name: dns, port: 53, protocol: UDP}
  - {name: dns-tcp, port: 53, protocol: TCP}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: cluster-dns, namespace: kube-system, labels: {k8s-app: kube-dns}}
spec:
  replicas: 1
  selector: {matchLabels: {k8s-app: kube-dns}}
  template:
    metadata: {labels: {k8s-app: kube-dns}}
    spec:
      dnsPolicy: Default
      automountServiceAccountToken: false
      containers:
      - name: dns
        image: $DNS_IMAGE
        args: ["-records", "/records/hosts"]
        securityContext:
          runAsUser: 0
          allowPrivilegeEscalation: false
          readOnlyRootFilesystem: true
          capabilities: {drop: [ALL], add: [NET_BIND_SERVICE]}
        readinessProbe: {httpGet: {path: /ready, port: 8080}, periodSeconds: 2}
        resources: {requests: {cpu: 10m, memory: 32Mi}, limits: {memory: 64Mi}}
        volumeMounts: [{name: records, mountPath: /records, readOnly: true}]
      volumes:
      - name: records
        hostPath: {path: "$dir/node/dns", type: Directory}
YAML
}

# nft_queue_supported: whether the kernel has the nftables queue
# expression, built in or as a module (kernel config, else the module).
nft_queue_supported() {
	local conf
	if [ -r /proc/config.gz ]; then
		conf=$(zcat /proc/config.gz 2>/dev/null | grep -E '^CONFIG_NFT_QUEUE=' || true)
		[ -n "$conf" ] && return 0
	fi
	[ -d "/sys/module/nft_queue" ] || modinfo nft_queue >/dev/null 2>&1
}

# start_node: one attempt at starting the node's processes.
start_node() {
	local n=$dir/node name
	name=$(node_name)
	local c
	for c in "${node_components[@]}"; do [ "$c" = node-lock ] || : >"$dir/$c.log"; done
	# The node's processes create what containers see: containerd unpacks
	# each image layer into a snapshot directory it makes with the
	# process's umask, and the kubelet makes the volume directories. Under
	# the 077 kept above for the keys, a layer without a root entry left
	# the container's / at 0700, and every non-root container failed with
	# "exec ...: permission denied". Nodes run with the usual 022.
	umask 022
	free_port SCHED_PORT
	printf 'SCHED_PORT=%s\n' "$SCHED_PORT" >>"$dir/cluster.env"

	failed=containerd
	log "starting containerd ($n/containerd)"
	start containerd "$(findbin containerd)" --config "$n/containerd/config.toml" --log-level warn
	wait_for containerd "containerd's socket" \
		"$(findbin ctr)" --address "$n/containerd/containerd.sock" version || return 1

	failed=standin-registry
	rm -f "$n/registry.addr"
	start standin-registry "$(findbin standin)" registry -listen 127.0.0.1:0 -addr-file "$n/registry.addr" \
		-server "https://127.0.0.1:$API_PORT" -token-file "$dir/pki/token" -ca-file "$dir/pki/ca.crt" \
		-busybox "$(findbin busybox)" \
		-system "$PAUSE_IMAGE=pause" -system "$DNS_IMAGE=dns" -system "$CLIENT_IMAGE=client"
	wait_for standin-registry "the stand-in registry" test -s "$n/registry.addr" || return 1
	registry_hosts "$(cat "$n/registry.addr")"

	failed=standin-dnsfeed
	start standin-dnsfeed "$(findbin standin)" dnsfeed -out "$n/dns/hosts" \
		-server "https://127.0.0.1:$API_PORT" -token-file "$dir/pki/token" -ca-file "$dir/pki/ca.crt"
	wait_for standin-dnsfeed "the DNS records" test -s "$n/dns/hosts" || return 1

	# What ACK's cloud controller manager and the ingress controller write
	# into Service and Ingress statuses, which the Kubernetes provider's
	# await waits for (tools/standin/statusfeed.go).
	failed=standin-statusfeed
	start standin-statusfeed "$(findbin standin)" statusfeed \
		-server "https://127.0.0.1:$API_PORT" -token-file "$dir/pki/token" -ca-file "$dir/pki/ca.crt"
	sleep 1
	alive "$(pidof_component standin-statusfeed)" || return 1

	failed=kube-scheduler
	log "starting kube-scheduler"
	start kube-scheduler "$(findbin kube-scheduler)" \
		--kubeconfig="$n/kube-scheduler.kubeconfig" \
		--authentication-kubeconfig="$n/kube-scheduler.kubeconfig" \
		--authorization-kubeconfig="$n/kube-scheduler.kubeconfig" \
		--bind-address=127.0.0.1 --secure-port="$SCHED_PORT" --leader-elect=false
	wait_for kube-scheduler "kube-scheduler /healthz" \
		curl -fsSk --max-time 5 "https://127.0.0.1:$SCHED_PORT/healthz" || return 1

	failed=kubelet
	log "starting kubelet (node $name)"
	start kubelet "$(findbin kubelet)" \
		--config="$n/kubelet/config.yaml" \
		--kubeconfig="$n/kubelet.kubeconfig" \
		--root-dir="$n/kubelet" \
		--cert-dir="$n/kubelet/pki" \
		--hostname-override="$name" \
		--v=1
	wait_for kubelet "node $name Ready" \
		sh -c "'$(findbin kubectl)' --kubeconfig '$dir/kubeconfig' get node '$name' -o jsonpath='{.status.conditions[?(@.type==\"Ready\")].status}' | grep -qx True" || return 1

	failed=kube-proxy
	log "starting kube-proxy"
	start kube-proxy "$(findbin kube-proxy)" --config="$n/kube-proxy.yaml"
	wait_for kube-proxy "kube-proxy /healthz" curl -fsS --max-time 5 http://127.0.0.1:10256/healthz || return 1

	# NetworkPolicies: kube-network-policies sends the first packet of each
	# connection to itself with the nftables "queue" statement, which needs
	# the kernel's nft_queue (CONFIG_NFT_QUEUE). Without it every rule sync
	# fails ("netlink receive: no such file or directory") and nothing is
	# enforced, so it starts only where the kernel has it (NODE_NETPOL=auto,
	# the default), always with NODE_NETPOL=1 (up fails without support),
	# never with NODE_NETPOL=0.
	local netpol=${NODE_NETPOL:-auto}
	if [ "$netpol" = auto ]; then
		netpol=0
		nft_queue_supported && netpol=1
		[ "$netpol" = 1 ] || log "NetworkPolicies are not enforced: this kernel lacks nft_queue (CONFIG_NFT_QUEUE), which kube-network-policies needs"
	elif [ "$netpol" = 1 ] && ! nft_queue_supported; then
		log "NODE_NETPOL=1, but this kernel lacks nft_queue (CONFIG_NFT_QUEUE), which kube-network-policies needs"
		return 1
	fi
	if [ "$netpol" = 1 ]; then
		findbin kube-network-policies >/dev/null || { log "kube-network-policies missing: run tools/install-tools.sh node"; return 1; }
		failed=kube-network-policies
		log "starting kube-network-policies"
		# It only reads the in-cluster service account files
		# (/var/run/secrets/kubernetes.io/serviceaccount) and
		# KUBERNETES_SERVICE_HOST/PORT: give it those in a mount namespace of
		# its own, on a tmpfs over /run, so nothing is written on the host.
		start kube-network-policies unshare --mount --propagation private bash -c '
			mount -t tmpfs -o mode=0755 tmpfs /run &&
			mkdir -p /run/secrets/kubernetes.io/serviceaccount &&
			cp "$1/pki/token" "$1/pki/ca.crt" /run/secrets/kubernetes.io/serviceaccount/ &&
			KUBERNETES_SERVICE_HOST=127.0.0.1 KUBERNETES_SERVICE_PORT=$2 exec -a kube-network-policies "$3" \
				--hostname-override="$4" --disable-nri --metrics-bind-address=127.0.0.1:0 --v=1' \
			kube-network-policies "$dir" "$API_PORT" "$(findbin kube-network-policies)" "$name"
		sleep 1
		alive "$(pidof_component kube-network-policies)" || return 1
	fi

	failed=kubelet
	cluster_objects || return 1
	wait_for kubelet "the cluster DNS pod" \
		sh -c "'$(findbin kubectl)' --kubeconfig '$dir/kubeconfig' -n kube-system get pods -l k8s-app=kube-dns -o jsonpath='{.items[*].status.conditions[?(@.type==\"Ready\")].status}' | grep -qx True" || return 1
	failed=""
}

# drain_node: deletes every pod while the kubelet still runs, so it stops
# their containers and the CNI plugin removes their network (veth, IP,
# iptables rules); the controllers and the scheduler are stopped first so
# nothing comes back.
drain_node() {
	local kubectl pid
	kubectl=$(findbin kubectl) || return 0
	pid=$(pidof_component kubelet) && ours kubelet "$pid" || return 0
	local c
	for c in kube-controller-manager kube-scheduler; do
		pid=$(pidof_component "$c") && ours "$c" "$pid" && kill -TERM "$pid" 2>/dev/null
	done
	"$kubectl" --kubeconfig "$dir/kubeconfig" delete pods --all --all-namespaces --grace-period=1 \
		--timeout=90s --wait=true >/dev/null 2>&1 || log "warning: pods still terminating after 90 s"
	# The kubelet removes the sandboxes (and their network) just after.
	local ctr=$(findbin ctr) sock=$dir/node/containerd/containerd.sock
	for _ in $(seq 1 60); do
		[ -z "$("$ctr" --address "$sock" -n k8s.io tasks ls -q 2>/dev/null)" ] && break
		sleep 0.5
	done
}

# stop_node: drains the node and stops its processes; the machine-wide
# lock is released last, after the host is clean.
stop_node() {
	[ -f "$dir/.node" ] || return 0
	drain_node
	stop_all --keep node-lock watchdog
	node_teardown
}

# node_teardown: after every process stopped: containers containerd still
# ran, mounts under DIR/node, the network.
node_teardown() {
	local n=$dir/node
	[ -d "$n" ] || return 0
	local p
	# containerd-shim processes outlive containerd: stop those of this node.
	for p in $(grep -lF -- "$n/containerd" /proc/[0-9]*/cmdline 2>/dev/null | cut -d/ -f3); do
		[[ $(cmdline "$p") == *containerd-shim* ]] && kill -KILL "$p" 2>/dev/null
	done
	sleep 0.2
	awk -v d="$n/" 'index($2, d) == 1 { print $2 }' /proc/self/mounts | sort -r | while read -r m; do
		umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
	done
	# The network is the machine's: clean it only when this DIR's node held
	# the lock last (a stale DIR must not tear down a node that runs now).
	if [ "$(cat "$NODE_LOCK.owner" 2>/dev/null)" = "$dir" ]; then
		node_net_cleanup
		rm -f "$NODE_LOCK.owner"
	fi
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
	# token,user,uid,"groups": the admin, then the node's components, each
	# with the identity Kubernetes' default RBAC and Node authorizer expect.
	local node
	node=$(node_name)
	{
		printf '%s,admin,admin,"system:masters"\n' "$token"
		printf '%s,system:node:%s,kubelet,"system:nodes"\n' "$(derived_token kubelet)" "$node"
		printf '%s,system:kube-proxy,kube-proxy\n' "$(derived_token kube-proxy)"
		printf '%s,system:kube-scheduler,kube-scheduler\n' "$(derived_token kube-scheduler)"
	} >"$pki/tokens.csv"
	# The kubelet trusts this CA for clients; kube-apiserver presents a
	# certificate from it when it calls the kubelet (logs, exec).
	if [ ! -s "$pki/kubelet-client.crt" ]; then
		openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=ack-local-kubelet-client-ca" \
			-keyout "$pki/kubelet-client-ca.key" -out "$pki/kubelet-client-ca.crt" 2>/dev/null
		openssl req -newkey rsa:2048 -nodes -subj "/O=system:masters/CN=kube-apiserver-kubelet-client" \
			-keyout "$pki/kubelet-client.key" -out "$pki/kubelet-client.csr" 2>/dev/null
		openssl x509 -req -in "$pki/kubelet-client.csr" -CA "$pki/kubelet-client-ca.crt" -CAkey "$pki/kubelet-client-ca.key" \
			-CAcreateserial -days 3650 -out "$pki/kubelet-client.crt" 2>/dev/null
	fi
	chmod 600 "$pki/sa.key" "$pki/token" "$pki/tokens.csv" "$pki"/*.key
}

# derived_token NAME: a component's token, derived from the admin token so
# it stays the same across `down` and `up` of one DIR.
derived_token() { printf '%s:%s' "$token" "$1" | openssl dgst -sha256 -r | cut -c1-48; }

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
		--kubelet-client-certificate="$dir/pki/kubelet-client.crt" \
		--kubelet-client-key="$dir/pki/kubelet-client.key" \
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
	node=false
	while [ $# -gt 0 ]; do
		arg=$1
		shift
		case $arg in
		--tmp) tmp=true ;;
		--node) node=true ;;
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
	if $node; then
		for b in containerd ctr runc kubelet kube-proxy kube-scheduler kubectl standin busybox; do
			findbin "$b" >/dev/null || missing+=("$b")
		done
		for b in iptables ip flock; do command -v "$b" >/dev/null 2>&1 || missing+=("$b"); done
		[ "$(id -u)" -eq 0 ] || die "--node needs root (containers, mounts, iptables)"
	fi
	[ ${#missing[@]} -eq 0 ] || die "missing ${missing[*]} (looked in $bindir and PATH): run make tools"
	if [ -z "$timeout" ]; then
		timeout=120
		$node && timeout=600 # a loaded 2-core CI machine needed more than 300 s
	fi

	[[ $timeout =~ ^[0-9]+$ ]] || die "CLUSTER_TIMEOUT must be a number of seconds, got $timeout"
	umask 077 # keys, token and kubeconfig are secrets
	mkdir -p "$dir"
	touch "$dir/.ack-cluster" # marks a directory `down --purge` may delete
	rm -f "$dir/.node"
	$node && touch "$dir/.node"
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
	if $node; then
		trap 'log "interrupted"; stop_node; stop_all; exit 130' INT TERM HUP
		mkdir -p "$dir/node"
		if ! node_lock; then
			stop_all
			exit 1
		fi
		node_sweep
		node_configs
		if ! start_node; then
			show_failure
			stop_node
			stop_all
			exit 1
		fi
		umask 077 # back from the node's 022 (start_node)
	fi
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
		stop_node
		stop_all
		log "stopped the cluster in $dir"
	else
		log "no cluster runs in $dir"
	fi
	if [ ! -f "$dir/pids" ] && [ -f "$dir/.node" ]; then
		node_teardown # an `up` killed before it recorded anything
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
