#!/usr/bin/env bash
# Merge request preview of one stack on Codeup: tools/ci/preview-summary.sh,
# then the summary as the stack's comment on the merge request
# (tools/ci/codeup-comment.sh), then the preview's own exit status.
#
#   tools/ci/codeup-preview.sh STACK
set -euo pipefail

if [ $# -ne 1 ]; then
	echo "usage: $0 STACK" >&2
	exit 2
fi
stack=$1
here=$(cd "$(dirname "$0")" && pwd)
status=0
"$here/preview-summary.sh" "$stack" "out/preview-$stack" || status=$?
"$here/codeup-comment.sh" "<!-- ack-platform-preview:$stack -->" "out/preview-$stack/summary.md"
exit "$status"
