#!/usr/bin/env bash
# The Codeup counterpart of .github/workflows/release.yml: sets one service's
# tag in one environment's release map (make release, so in
# Pulumi.<ENV>.yaml), pushes a release branch and opens a merge request
# (Codeup OpenAPI CreateChangeRequest). The merge request's preview pipeline
# then shows the one Deployment changing; merging it deploys.
#
#   tools/ci/codeup-release.sh ENV SERVICE TAG
#
# Environment: those of tools/ci/codeup-api.sh, and CODEUP_PROJECT_ID (the
# repository's numeric id, for the merge request's source and target),
# CODEUP_GIT_USERNAME and CODEUP_GIT_PASSWORD (the HTTPS clone credentials
# of the account that pushes), TARGET_BRANCH (default main). Needs git,
# curl, jq, make and Go.
set -euo pipefail

if [ $# -ne 3 ]; then
	echo "usage: $0 ENV SERVICE TAG" >&2
	exit 2
fi
env=$1 service=$2 tag=$3
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
# shellcheck source=tools/ci/codeup-api.sh
. "$here/codeup-api.sh"
: "${CODEUP_PROJECT_ID:?variable CODEUP_PROJECT_ID is not set}"
: "${CODEUP_GIT_USERNAME:?secret variable CODEUP_GIT_USERNAME is not set}"
: "${CODEUP_GIT_PASSWORD:?secret variable CODEUP_GIT_PASSWORD is not set}"
target=${TARGET_BRANCH:-main}
branch="release/$env-$service-$tag"
title="release $service $tag to $env"

cd "$root"
make --no-print-directory release ENV="$env" SERVICE="$service" TAG="$tag"
git switch -c "$branch"
git add -A "Pulumi.$env.yaml" docs
git -c user.name="${GIT_AUTHOR_NAME:-ack-platform release}" -c user.email="${GIT_AUTHOR_EMAIL:-release@invalid}" \
	commit -q -m "$title"
# The password reaches git through a credential helper reading the
# environment, never through the remote URL or the command line.
# shellcheck disable=SC2016 # expanded by the helper's shell, not here
git -c credential.helper='!f() { echo "username=$CODEUP_GIT_USERNAME"; echo "password=$CODEUP_GIT_PASSWORD"; }; f' \
	push -q origin "HEAD:refs/heads/$branch"

description="Sets \`$service\` to \`$tag\` in the release map of \`Pulumi.$env.yaml\`. The preview of the \`$env\` stack must show exactly one Deployment update, and the other stacks no change. Roll back by reverting this merge request."
codeup_api POST /changeRequests "$(jq -n --arg src "$branch" --arg dst "$target" --arg title "$title" \
	--arg description "$description" --argjson project "$CODEUP_PROJECT_ID" \
	'{sourceBranch: $src, sourceProjectId: $project, targetBranch: $dst, targetProjectId: $project, title: $title, description: $description}')" |
	jq -r '"opened merge request " + ((.localId // "") | tostring) + " " + (.detailUrl // .webUrl // "")'
