#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# make-deb.sh OUTDIR — build the Debian packages (`make deb`).
#
# The tree is copied to a temporary directory, packaging/debian becomes its
# debian/ directory, and `dpkg-buildpackage -us -uc -b` runs there, so the
# repository keeps its layout and gets no debian/ directory or build
# droppings. The .deb files (with -dbgsym), .buildinfo, .changes and
# lintian's report (lintian.txt) end up in OUTDIR. Fails when the build
# fails or lintian reports an error.
#
# Environment: DEB_BUILD_OPTIONS as usual (e.g. nocheck to skip the tests).
set -eu

out=${1:?usage: make-deb.sh OUTDIR}
top=$(pwd)
test -f "$top/packaging/debian/control" || { echo "make-deb.sh: run from the top of the tree" >&2; exit 2; }
version=$(dpkg-parsechangelog -l packaging/debian/changelog -S Version)
upstream=${version%-*}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/keepwarm-deb.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM
src=$tmp/keepwarm-$upstream
mkdir "$src"
tar -C "$top" --exclude=./build --exclude=./build-san --exclude=./.git --exclude=./debian \
    --exclude=__pycache__ --exclude=./.cache -cf - . | tar -C "$src" -xf -
cp -R packaging/debian "$src/debian"

echo "make-deb.sh: building keepwarm $version in $src"
(cd "$src" && dpkg-buildpackage -us -uc -b -Jauto)

mkdir -p "$out"
rm -f "$out"/*.deb "$out"/*.ddeb "$out"/*.buildinfo "$out"/*.changes "$out"/lintian.txt
for f in "$tmp"/*.deb "$tmp"/*.ddeb "$tmp"/*.buildinfo "$tmp"/*.changes; do
    [ -e "$f" ] && mv "$f" "$out"/
done
changes=$(ls "$out"/*.changes)

if command -v lintian >/dev/null; then
    # lintian's exit status: 0 clean (or only warnings), non-zero on errors.
    rc=0
    # lintian leaves its MLDBM caches (mldbm-elf-*) in TMPDIR: give it ours,
    # which the trap removes
    mkdir -p "$tmp/lintian-tmp"
    TMPDIR="$tmp/lintian-tmp" lintian --fail-on error --info "$changes" >"$out/lintian.txt" 2>&1 || rc=$?
    cat "$out/lintian.txt"
    [ "$rc" = 0 ] || { echo "make-deb.sh: lintian reported errors (see $out/lintian.txt)" >&2; exit 1; }
else
    echo "make-deb.sh: lintian not installed; skipped" >&2
fi
echo "make-deb.sh: packages in $out:"
ls -1 "$out"
