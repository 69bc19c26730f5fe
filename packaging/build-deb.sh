#!/bin/sh
# build-deb.sh VERSION: `make deb`.  Builds the Debian package from a copy
# of the tree in build/deb/ (dpkg-buildpackage writes its results into the
# parent of the source directory, and its own files into the source), so
# the work tree stays clean.  The .deb, .buildinfo and .changes end up in
# build/deb/.  Needs dpkg-dev, debhelper and the Build-Depends of
# packaging/debian/control.
set -eu
version=$1
top=$(cd "$(dirname "$0")/.." && pwd)
out=$top/build/deb
src=$out/ldap2imocha-$version

for c in dpkg-buildpackage dh fakeroot; do
	command -v "$c" >/dev/null 2>&1 || {
		echo "build-deb: $c not found: apt-get install dpkg-dev debhelper fakeroot" >&2
		exit 1
	}
done
# One version, two places: the Makefile's and the changelog's must agree.
deb_version=$(dpkg-parsechangelog -l "$top/packaging/debian/changelog" -S Version)
if [ "$deb_version" != "$version" ]; then
	echo "build-deb: packaging/debian/changelog says $deb_version, the Makefile $version" >&2
	exit 1
fi

rm -rf "$out"
mkdir -p "$src"
# The sources, without build output or git's files.
tar -C "$top" --exclude=./.git --exclude=./build --exclude='./build-*' \
    --exclude=__pycache__ -cf - . | tar -C "$src" -xf -
rm -rf "$src/debian"
cp -R "$top/packaging/debian" "$src/debian"
chmod 0755 "$src/debian/rules"
(cd "$src" && dpkg-buildpackage -b -us -uc)
rm -rf "$src"
ls -l "$out"/*.deb
