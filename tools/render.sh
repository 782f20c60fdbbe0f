#!/usr/bin/env bash
# Renders the local stack's Kubernetes manifests with the real Pulumi engine:
# `pulumi up --stack local` on a local file backend, with the Kubernetes
# provider's renderYamlToDirectory option (no cluster, no cloud account).
#
#   tools/render.sh [STATE_DIR]
#
# The manifests land in rendered/local/ (ack-platform:local.renderDir). The
# provider writes a file only for an object it creates or updates, so a state
# that already lists an object would leave a removed folder missing. Each
# render therefore starts from an empty state and a new folder that replaces
# the old one whole once the engine has succeeded: the folder always holds
# exactly the current config's manifests, and a failed render keeps the last
# good one.
#
# When the local stack sets the secret key ack-platform:kubeconfig the same
# command applies to that cluster instead, keeping its state in STATE_DIR
# (default .pulumi-state, git-ignored), since a real cluster's objects must
# be remembered between runs.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
state=${1:-$root/.pulumi-state}
mkdir -p "$state"
state=$(cd "$state" && pwd)

export PATH="$root/.tools/bin:$PATH"
export PULUMI_BACKEND_URL="file://$state"
# The local stack's secrets are throwaway values (a self-signed certificate,
# a dummy password) encrypted with this publicly known passphrase, so anyone
# can render without being given one. It is the local stack's only: cloud
# stacks use a real secrets provider.
export PULUMI_CONFIG_PASSPHRASE=${PULUMI_CONFIG_PASSPHRASE:-ack-platform-local}
export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
# The Kubernetes provider takes $KUBECONFIG as its kubeconfig, which render
# mode refuses; rendering never talks to a cluster anyway.
unset KUBECONFIG
export PULUMI_SKIP_UPDATE_CHECK=true

for tool in pulumi pulumi-language-go pulumi-resource-kubernetes; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "render: $tool is missing; run tools/install-tools.sh (or make tools)" >&2
		exit 1
	fi
done

cd "$root"
pulumi stack select --create local --non-interactive
if pulumi config get ack-platform:kubeconfig --stack local >/dev/null 2>&1; then
	pulumi up --yes --skip-preview --non-interactive --stack local
	echo "render: applied to the cluster of ack-platform:kubeconfig" >&2
	exit 0
fi

dir=$(pulumi config get --path ack-platform:local.renderDir --stack local 2>/dev/null || true)
dir=${dir:-rendered/local}
case $dir in /*) ;; *) dir="$root/$dir" ;; esac

# A fresh backend and a staging folder beside the target (same file system,
# so the final rename is atomic).
fresh=$(mktemp -d)
mkdir -p "$(dirname "$dir")"
staging=$(mktemp -d "$dir.new.XXXXXX")
trap 'rm -rf "$fresh" "$staging"' EXIT
export PULUMI_BACKEND_URL="file://$fresh"
pulumi stack select --create local --non-interactive
# The program reads the render folder from ACK_RENDER_DIR when set, so the
# stack file is never edited to point it at the staging folder.
ACK_RENDER_DIR="$staging" pulumi up --yes --skip-preview --non-interactive --stack local

old=""
if [ -e "$dir" ]; then
	old="$dir.old.$$"
	mv "$dir" "$old"
fi
mv "$staging" "$dir"
[ -z "$old" ] || rm -rf "$old"
echo "render: $(find "$dir" -name '*.yaml' | wc -l) manifests in $dir" >&2
