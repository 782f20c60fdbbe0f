#!/usr/bin/env bash
# Runs `pulumi preview --json` for one stack and writes its Markdown summary.
# Shared by the GitHub workflows and the Yunxiao pipeline.
#
#   tools/ci/preview-summary.sh STACK OUT_DIR
#
# Writes OUT_DIR/preview.json (the engine's JSON), OUT_DIR/summary.md (budgeted
# to fit a pull-request comment) and prints the unabridged summary to the log.
# Exits with the preview's own status, after summary.md is written, so that
# callers post the summary first and fail afterwards.
#
# Environment: the state backend login and cloud credentials are the caller's;
# PREVIEWSUMMARY may point at a prebuilt tools/previewsummary binary;
# PREVIEW_REFRESH=true refreshes the state from the cloud first (drift
# detection: the plan is then the difference between the real resources and
# what the program and config declare). The refresh runs the program too
# (--run-program): otherwise it would talk to the cluster with the provider
# configuration kept in the state, whose short-lived cluster credential has
# expired since the last update; the program fetches a fresh one.
set -euo pipefail

if [ $# -ne 2 ]; then
	echo "usage: $0 STACK OUT_DIR" >&2
	exit 2
fi
stack=$1
out=$2
root=$(cd "$(dirname "$0")/../.." && pwd)
mkdir -p "$out"

tool=${PREVIEWSUMMARY:-}
if [ -z "$tool" ]; then
	tool="$out/previewsummary"
	(cd "$root" && go build -o "$tool" ./tools/previewsummary)
fi

flags=(--stack "$stack" --diff --json --non-interactive)
if [ "${PREVIEW_REFRESH:-false}" = true ]; then
	flags+=(--refresh --run-program)
fi
status=0
(cd "$root" && pulumi preview "${flags[@]}") \
	>"$out/preview.json" 2>"$out/preview.stderr" || status=$?
# Pulumi masks secret values in its own output; stderr carries progress and errors.
cat "$out/preview.stderr" >&2

if "$tool" -stack "$stack" -in "$out/preview.json" >"$out/summary.md"; then
	echo "----- full preview summary for $stack -----"
	"$tool" -stack "$stack" -in "$out/preview.json" -limit 1000000000
else
	# shellcheck disable=SC2016 # the backticks are Markdown
	printf '### Pulumi preview for `%s` failed\n\nThe preview produced no readable JSON (exit status %d); see the pipeline log.\n' \
		"$stack" "$status" >"$out/summary.md"
	[ "$status" -ne 0 ] || status=1
fi
exit "$status"
