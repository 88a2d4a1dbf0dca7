#!/bin/sh
# install-deps.sh: the single place doppel's Debian packages are listed.
#
# Installs whatever is missing with apt-get (running `apt-get update` first,
# and only when something is missing). Idempotent and quiet when everything
# is already present. Must run as root (or with sudo available).
set -eu

PACKAGES="
build-essential
meson
ninja-build
pkg-config
libutf8proc-dev
libxxhash-dev
libstemmer-dev
libjansson-dev
zlib1g-dev
libzstd-dev
liblmdb-dev
libmicrohttpd-dev
libcsv-dev
wrk
clang
libclang-rt-14-dev
valgrind
python3
python3-numpy
python3-sklearn
similarity-tester
hyperfine
curl
"

missing=""
for p in $PACKAGES; do
    status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
    case "$status" in
        *"install ok installed"*) ;;
        *) missing="$missing $p" ;;
    esac
done

[ -z "$missing" ] && exit 0

echo "install-deps: installing:$missing" >&2
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
echo "install-deps: done" >&2
