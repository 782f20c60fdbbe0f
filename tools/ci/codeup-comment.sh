#!/usr/bin/env bash
# Posts a Markdown file as a comment on a Codeup merge request, editing the
# previous comment that carries the same hidden marker instead of adding one
# per run. Used by the Yunxiao preview pipeline (.yunxiao/preview.yml).
#
#   tools/ci/codeup-comment.sh MARKER FILE
#
# Environment: those of tools/ci/codeup-api.sh, and CODEUP_MR_LOCAL_ID, the
# merge request's number in the repository. Needs curl and jq.
set -euo pipefail

if [ $# -ne 2 ]; then
	echo "usage: $0 MARKER FILE" >&2
	exit 2
fi
marker=$1
file=$2
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tools/ci/codeup-api.sh
. "$here/codeup-api.sh"
if [ -z "${CODEUP_MR_LOCAL_ID:-}" ]; then
	echo "CODEUP_MR_LOCAL_ID is empty: not a merge request run, nothing to comment on" >&2
	exit 0
fi
mr="/changeRequests/$CODEUP_MR_LOCAL_ID"

body=$(jq -Rs --arg marker "$marker" '$marker + "\n" + .' <"$file")

previous=$(codeup_api POST "$mr/comments/list" '{"commentType":"GLOBAL_COMMENT","state":"OPENED","resolved":false,"patchSetBizIds":[]}' |
	jq -r --arg marker "$marker" '[.[] | select((.content // "") | contains($marker))][0].commentBizId // empty')

if [ -n "$previous" ]; then
	codeup_api PUT "$mr/comments/$previous" "$(jq -n --argjson content "$body" '{content: $content}')" >/dev/null
	echo "updated merge request comment $previous"
	exit 0
fi

# A global comment is attached to the newest version of the merge source.
patchset=$(codeup_api GET "$mr/diffs/patches" |
	jq -r '[.[] | select(.relatedMergeItemType == "MERGE_SOURCE")] | max_by(.versionNo) | .patchSetBizId // empty')
if [ -z "$patchset" ]; then
	echo "no patch set found for merge request $CODEUP_MR_LOCAL_ID" >&2
	exit 1
fi
codeup_api POST "$mr/comments" "$(jq -n --argjson content "$body" --arg ps "$patchset" \
	'{comment_type: "GLOBAL_COMMENT", content: $content, draft: false, resolved: false, patchset_biz_id: $ps}')" >/dev/null
echo "created merge request comment"
