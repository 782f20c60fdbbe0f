#!/usr/bin/env bash
# Renders the local stack's Kubernetes manifests with the real Pulumi engine:
# `pulumi up --stack local` on a local file backend, with the Kubernetes
# provider's renderYamlToDirectory option (no cluster, no cloud account).
#
#   tools/render.sh [STATE_DIR]
#
# STATE_DIR is the file backend (default .pulumi-state, git-ignored). The
# manifests land in rendered/local/ (ack-platform:local.renderDir). When the
# local stack sets the secret key ack-platform:kubeconfig the same command
# applies to that cluster instead.
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
pulumi up --yes --skip-preview --non-interactive --stack local
echo "render: manifests in $root/rendered/local" >&2
