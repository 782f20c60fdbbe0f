#!/usr/bin/env bash
# Runs the Pulumi engine on one stack the way its layer needs
# (docs/benchmarks.md, "Checkpoints"):
#
#   tools/engine.sh STACK up|preview|destroy|refresh [pulumi flags...]
#
# - Workload stacks (every stack whose file does not set
#   `ack-platform:layer: platform`) run without intermediate checkpoints
#   (PULUMI_EXPERIMENTAL=true PULUMI_SKIP_CHECKPOINTS=true), and `up` and
#   `preview` refresh first (--refresh): the state a killed run leaves can
#   lag behind the API server, and the refresh reads the server before any
#   diff. The state is written once, at the end of each run. Server-side
#   apply conflicts are forced (PULUMI_K8S_ENABLE_PATCH_FORCE=true): a field
#   someone changed by hand is put back.
# - Platform stacks keep every checkpoint: a cloud resource whose creation
#   is not recorded is an orphan that costs money.
#
# After a run that died (machine lost, job cancelled hard), the stack stays
# locked: `pulumi cancel --stack STACK` removes the lock once nothing else
# runs on the stack (the pipelines run one job per stack at a time), then
# this script converges it. Runs in the repository root with the stack's
# backend already chosen (`pulumi login` or PULUMI_BACKEND_URL);
# ACK_PROJECT_DIR names another project directory (one whose Pulumi.yaml
# runs this repository's program, as the rehearsal's does: tests/rehearsal).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
[ $# -ge 2 ] || { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 2; }
stack=$1 op=$2
shift 2
project=${ACK_PROJECT_DIR:-$root}
file="$project/Pulumi.$stack.yaml"
[ -f "$file" ] || { echo "engine: $file not found" >&2; exit 2; }

layer=workload
if grep -Eq '^[[:space:]]+ack-platform:layer:[[:space:]]*"?platform"?[[:space:]]*(#.*)?$' "$file"; then
	layer=platform
fi

args=("$op" --stack "$stack")
if [ "$layer" = workload ]; then
	export PULUMI_EXPERIMENTAL=true PULUMI_SKIP_CHECKPOINTS=true
	# The program owns every field it sets: a field taken over by hand
	# (`kubectl edit`, `kubectl set image`) is drift to undo, not a
	# server-side apply conflict to stop on.
	export PULUMI_K8S_ENABLE_PATCH_FORCE=true
	case $op in
	up | preview) args+=(--refresh) ;;
	# The credential in the state expires within hours: running the program
	# fetches a fresh one for the refresh or the destroy (docs/stacks.md).
	refresh | destroy) args+=(--run-program) ;;
	esac
else
	unset PULUMI_SKIP_CHECKPOINTS PULUMI_K8S_ENABLE_PATCH_FORCE
fi
echo "engine: $stack is a $layer stack: pulumi ${args[*]} $*${PULUMI_SKIP_CHECKPOINTS:+ (intermediate checkpoints skipped)}" >&2
cd "$project"
exec pulumi "${args[@]}" "$@"
