#!/usr/bin/env bash
# Runs one command of a Yunxiao Flow job (.yunxiao/*.yml) that touches a
# stack, in bash whatever shell the Command step uses:
#
#   tools/ci/flow-run.sh CREDENTIALS COMMAND [ARG ...]   # CREDENTIALS: PREVIEW, NONPROD or PROD
#
# The build image (.yunxiao/ci-image) carries Go, the pinned Pulumi CLI,
# language host and providers, git, curl and jq. This puts the state bucket's
# keys where Pulumi's s3:// backend reads them, picks the Alibaba Cloud
# AccessKey of the requested RAM identity from the pipeline's secret
# variables (<CREDENTIALS>_ACCESS_KEY_ID and <CREDENTIALS>_ACCESS_KEY_SECRET;
# read-only for PREVIEW), logs in to the backend and builds the preview
# summary tool, then runs the command. Nothing is printed that holds a secret.
set -euo pipefail

case "${1:-}" in
PREVIEW | NONPROD | PROD) ;;
*)
	echo "usage: $0 PREVIEW|NONPROD|PROD COMMAND [ARG ...]" >&2
	exit 2
	;;
esac
if [ $# -lt 2 ]; then
	echo "usage: $0 PREVIEW|NONPROD|PROD COMMAND [ARG ...]" >&2
	exit 2
fi
cd "$(dirname "$0")/../.."
: "${PULUMI_BACKEND_URL:?pipeline variable PULUMI_BACKEND_URL is not set}"
: "${OSS_ACCESS_KEY_ID:?secret variable OSS_ACCESS_KEY_ID is not set}"
: "${OSS_ACCESS_KEY_SECRET:?secret variable OSS_ACCESS_KEY_SECRET is not set}"
: "${PULUMI_CONFIG_PASSPHRASE:?secret variable PULUMI_CONFIG_PASSPHRASE is not set}"
export AWS_ACCESS_KEY_ID="$OSS_ACCESS_KEY_ID" AWS_SECRET_ACCESS_KEY="$OSS_ACCESS_KEY_SECRET"

id_var="${1}_ACCESS_KEY_ID" secret_var="${1}_ACCESS_KEY_SECRET"
if [ -n "${!id_var:-}" ] && [ -n "${!secret_var:-}" ]; then
	export ALICLOUD_ACCESS_KEY="${!id_var}" ALICLOUD_SECRET_KEY="${!secret_var}"
elif [ -z "${ALICLOUD_ECS_ROLE_NAME:-}" ]; then
	# A private build cluster's ECS instances may carry the RAM role instead.
	echo "no Alibaba Cloud credentials: set the secret variables $id_var and $secret_var (or ALICLOUD_ECS_ROLE_NAME on a private build cluster)" >&2
	exit 1
fi
unset id_var secret_var

export PULUMI_SKIP_UPDATE_CHECK=true
pulumi login --non-interactive >/dev/null
PREVIEWSUMMARY="$(mktemp -d)/previewsummary"
export PREVIEWSUMMARY
go build -o "$PREVIEWSUMMARY" ./tools/previewsummary

shift
exec "$@"
