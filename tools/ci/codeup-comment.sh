#!/usr/bin/env bash
# Posts a Markdown file as a comment on a Codeup merge request, editing the
# previous comment that carries the same hidden marker instead of adding one
# per run. Used by the Yunxiao pipeline (.yunxiao/flow.yml).
#
#   tools/ci/codeup-comment.sh MARKER FILE
#
# Environment (pipeline secret variables):
#   YUNXIAO_TOKEN       personal access token with Codeup merge request read/write
#   YUNXIAO_ORG_ID      organization id
#   CODEUP_REPO_ID      repository id (or URL-encoded "org%2Frepo")
#   CODEUP_MR_LOCAL_ID  the merge request's number in the repository
#   YUNXIAO_OPENAPI     API base, default https://openapi-rdc.aliyuncs.com
# Needs curl and jq. The token is sent only as a header and never printed.
set -euo pipefail

if [ $# -ne 2 ]; then
	echo "usage: $0 MARKER FILE" >&2
	exit 2
fi
marker=$1
file=$2
: "${YUNXIAO_TOKEN:?secret variable YUNXIAO_TOKEN is not set}"
: "${YUNXIAO_ORG_ID:?variable YUNXIAO_ORG_ID is not set}"
: "${CODEUP_REPO_ID:?variable CODEUP_REPO_ID is not set}"
if [ -z "${CODEUP_MR_LOCAL_ID:-}" ]; then
	echo "CODEUP_MR_LOCAL_ID is empty: not a merge request run, nothing to comment on" >&2
	exit 0
fi
base="${YUNXIAO_OPENAPI:-https://openapi-rdc.aliyuncs.com}/oapi/v1/codeup/organizations/$YUNXIAO_ORG_ID/repositories/$CODEUP_REPO_ID/changeRequests/$CODEUP_MR_LOCAL_ID"

# api METHOD PATH [JSON]: one OpenAPI call; the token stays out of argv via a header file.
api() {
	local headers
	headers=$(mktemp)
	printf 'x-yunxiao-token: %s\nContent-Type: application/json\n' "$YUNXIAO_TOKEN" >"$headers"
	local status=0
	curl -sS --fail-with-body -X "$1" -H "@$headers" ${3:+--data-binary "$3"} "$base$2" || status=$?
	rm -f "$headers"
	return "$status"
}

body=$(jq -Rs --arg marker "$marker" '$marker + "\n" + .' <"$file")

previous=$(api POST /comments/list '{"commentType":"GLOBAL_COMMENT","state":"OPENED","resolved":false,"patchSetBizIds":[]}' |
	jq -r --arg marker "$marker" '[.[] | select((.content // "") | contains($marker))][0].commentBizId // empty')

if [ -n "$previous" ]; then
	api PUT "/comments/$previous" "$(jq -n --argjson content "$body" '{content: $content}')" >/dev/null
	echo "updated merge request comment $previous"
	exit 0
fi

# A global comment is attached to the newest version of the merge source.
patchset=$(api GET /diffs/patches |
	jq -r '[.[] | select(.relatedMergeItemType == "MERGE_SOURCE")] | max_by(.versionNo) | .patchSetBizId // empty')
if [ -z "$patchset" ]; then
	echo "no patch set found for merge request $CODEUP_MR_LOCAL_ID" >&2
	exit 1
fi
api POST /comments "$(jq -n --argjson content "$body" --arg ps "$patchset" \
	'{comment_type: "GLOBAL_COMMENT", content: $content, draft: false, resolved: false, patchset_biz_id: $ps}')" >/dev/null
echo "created merge request comment"
