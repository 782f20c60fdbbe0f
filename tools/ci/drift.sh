#!/usr/bin/env bash
# Drift check of one stack: `pulumi preview --refresh` (the real resources
# against the program and its config), summary in OUT_DIR/summary.md and the
# log. Exits 0 when nothing drifted, 3 when the stack drifted, another
# status when the check itself failed. A credential refresh of the Kubernetes
# provider is not drift (tools/previewsummary -drift); that is why this does
# not use `pulumi preview --expect-no-changes`.
#
#   tools/ci/drift.sh STACK OUT_DIR
set -euo pipefail

if [ $# -ne 2 ]; then
	echo "usage: $0 STACK OUT_DIR" >&2
	exit 2
fi
stack=$1 out=$2
here=$(cd "$(dirname "$0")" && pwd)
PREVIEW_REFRESH=true "$here/preview-summary.sh" "$stack" "$out"
"${PREVIEWSUMMARY:-$out/previewsummary}" -drift -stack "$stack" -in "$out/preview.json" >/dev/null
echo "no drift in $stack"
