#!/usr/bin/env bash
# A release (or a rollback): set one service's image tag in one environment.
#
#   tools/release.sh ENV SERVICE TAG [STACK]     (STACK default: ENV)
#   make release ENV=test SERVICE=device-service TAG=3.0.2
#
# Each environment is its own stack, so its release map is in its own stack
# file, Pulumi.<ENV>.yaml; STACK is needed only for a stack holding several
# environments (local). The service must be in the catalog (Pulumi.yaml),
# the environment in Pulumi.<STACK>.yaml, and the tag one the program accepts (checked by the
# program's own validation, tools/release). The change is one line of
# Pulumi.<STACK>.yaml: review it as a pull request, `pulumi up` applies it
# and rolls exactly that Deployment. See docs/releases.md.
set -euo pipefail

if [ $# -lt 3 ] || [ $# -gt 4 ]; then
	echo "usage: $0 ENV SERVICE TAG [STACK]" >&2
	exit 2
fi
env=$1 service=$2 tag=$3 stack=${4:-$1}
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
export PATH="$root/.tools/bin:$PATH"

# 1. Validate against the catalog, the stack's environments and the
#    program's rules, without writing.
go run ./tools/release -check "$env" "$service" "$tag" "$stack"

# 2. Write. With a pulumi CLI that reaches the stack's backend, the CLI sets
#    the value (it keeps comments and the other keys). Otherwise (no CLI,
#    not logged in) tools/release replaces just the tag's bytes in the file.
if command -v pulumi >/dev/null 2>&1 &&
	pulumi stack select "$stack" --non-interactive >/dev/null 2>&1; then
	pulumi config set --path --type string --stack "$stack" \
		"ack-platform:environments.$env.releases.$service" "$tag"
	echo "Pulumi.$stack.yaml: $env $service -> $tag (pulumi config set --path)"
else
	go run ./tools/release "$env" "$service" "$tag" "$stack"
fi
git --no-pager diff --no-color -- "Pulumi.$stack.yaml" 2>/dev/null || true
