#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Install the Debian packages named as arguments that are not installed yet.
# Used by `make deps` (and so by `make demo` / `make check`). Safe to run twice.
missing=""
for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
    echo "keepwarm: missing Debian packages:$missing" >&2
    echo "keepwarm: run 'make deps' as root, or: sudo apt-get install$missing" >&2
    exit 1
fi
echo "keepwarm: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >/dev/null || exit 1
# With recommends, as on the machines the suite was developed on (fonts
# for Claws under Xvfb, SASL modules, CA certificates come along).
apt-get install -y -q $missing >/dev/null || exit 1
