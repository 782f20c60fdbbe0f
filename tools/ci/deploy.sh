#!/usr/bin/env bash
# Updates one stack: a fresh preview first (summary in OUT_DIR/summary.md, as
# tools/ci/preview-summary.sh writes it), then `pulumi up`. Shared by the
# GitHub workflows and the Yunxiao pipeline.
#
#   tools/ci/deploy.sh STACK OUT_DIR [APPROVED_FINGERPRINT]
#
# With APPROVED_FINGERPRINT (the plan a person approved, from
# `previewsummary -fingerprint`), it refuses to update when the fresh plan
# differs: what is applied is what was approved, never a plan that changed
# between the approval and the update (a later commit, drift, a change made
# by hand). Credential refreshes of the Kubernetes provider are not part of
# the fingerprint, so a renewed cluster credential does not void an approval.
set -euo pipefail

if [ $# -lt 2 ] || [ $# -gt 3 ]; then
	echo "usage: $0 STACK OUT_DIR [APPROVED_FINGERPRINT]" >&2
	exit 2
fi
stack=$1 out=$2 approved=${3:-}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)

"$here/preview-summary.sh" "$stack" "$out"
tool=${PREVIEWSUMMARY:-$out/previewsummary}
if [ -n "$approved" ]; then
	fresh=$("$tool" -fingerprint -in "$out/preview.json")
	if [ "$fresh" != "$approved" ]; then
		echo "The plan for $stack changed since it was approved (approved $approved, now $fresh)." >&2
		echo "Nothing was updated. Request a new approval for the plan shown above." >&2
		exit 4
	fi
	echo "The plan for $stack is the approved one ($fresh)."
fi
cd "$root"
pulumi up --stack "$stack" --yes --non-interactive --diff
