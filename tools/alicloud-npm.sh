#!/usr/bin/env bash
# Fetches @pulumi/alicloud (the npm SDK of the same provider release as the
# Go subset in sdks/alicloud) into a cache outside the work tree, verifies the
# tarball against the pinned registry integrity, extracts it and prints the
# extracted package directory. A second run only prints the directory.
#
#   tools/alicloud-npm.sh            # -> <cache>/alicloud-3.108.0/package
#   ACK_NPM_CACHE=/some/dir tools/alicloud-npm.sh
#
# The pinned value comes from `npm view @pulumi/alicloud@3.108.0 dist.integrity`.
set -euo pipefail

version=3.108.0
integrity='sha512-2/vDHOE5Jqhe1tiY/5cpRl/qG72hLBgaAa2mvIaeEUCmy2nx68b7yGCTZ4oCvMvWct40MfhvWaCesywXyfI1lw=='
cache="${ACK_NPM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ack-platform/npm}"
dest="$cache/alicloud-$version"
marker="$dest/.verified"

if [[ -f "$marker" && -f "$dest/package/package.json" ]]; then
	echo "$dest/package"
	exit 0
fi

command -v npm >/dev/null || { echo "alicloud-npm: npm not found" >&2; exit 1; }
mkdir -p "$cache"
work="$(mktemp -d "$cache/.fetch.XXXXXX")"
trap 'rm -rf "$work"' EXIT

# npm pack prints progress on stderr and the tarball name on stdout.
(cd "$work" && npm pack --silent "@pulumi/alicloud@$version" >/dev/null) \
	|| { echo "alicloud-npm: npm pack @pulumi/alicloud@$version failed" >&2; exit 1; }
tgz="$work/pulumi-alicloud-$version.tgz"
[[ -f "$tgz" ]] || { echo "alicloud-npm: $tgz missing after npm pack" >&2; exit 1; }

got="sha512-$(openssl dgst -sha512 -binary "$tgz" | base64 -w0)"
if [[ "$got" != "$integrity" ]]; then
	echo "alicloud-npm: integrity mismatch for $tgz" >&2
	echo "  want $integrity" >&2
	echo "  got  $got" >&2
	exit 1
fi

mkdir "$work/x"
tar -xzf "$tgz" -C "$work/x"
[[ -f "$work/x/package/package.json" ]] || { echo "alicloud-npm: unexpected tarball layout" >&2; exit 1; }
grep -q "\"version\": \"$version\"" "$work/x/package/package.json" \
	|| { echo "alicloud-npm: tarball is not version $version" >&2; exit 1; }

rm -rf "$dest"
mkdir -p "$dest"
mv "$work/x/package" "$dest/package"
mv "$tgz" "$dest/"
echo "$integrity" > "$marker"
echo "$dest/package"
