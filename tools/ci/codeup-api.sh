# shellcheck shell=bash
# Sourced by the Codeup scripts (codeup-comment.sh, codeup-release.sh): one
# call of the Yunxiao OpenAPI for this repository's Codeup endpoints.
#
#   codeup_api METHOD PATH [JSON]    # PATH below .../repositories/<repo>
#
# Environment (pipeline secret variables):
#   YUNXIAO_TOKEN    personal access token with Codeup read/write
#   YUNXIAO_ORG_ID   organization id
#   CODEUP_REPO_ID   repository id (or URL-encoded "org%2Frepo")
#   YUNXIAO_OPENAPI  API base, default https://openapi-rdc.aliyuncs.com
# The token is sent only as a header, from a file, never on the command line.
: "${YUNXIAO_TOKEN:?secret variable YUNXIAO_TOKEN is not set}"
: "${YUNXIAO_ORG_ID:?variable YUNXIAO_ORG_ID is not set}"
: "${CODEUP_REPO_ID:?variable CODEUP_REPO_ID is not set}"
codeup_repo_api="${YUNXIAO_OPENAPI:-https://openapi-rdc.aliyuncs.com}/oapi/v1/codeup/organizations/$YUNXIAO_ORG_ID/repositories/$CODEUP_REPO_ID"

codeup_api() {
	local headers status=0
	headers=$(mktemp)
	printf 'x-yunxiao-token: %s\nContent-Type: application/json\n' "$YUNXIAO_TOKEN" >"$headers"
	curl -sS --fail-with-body -X "$1" -H "@$headers" ${3:+--data-binary "$3"} "$codeup_repo_api$2" || status=$?
	rm -f "$headers"
	return "$status"
}
