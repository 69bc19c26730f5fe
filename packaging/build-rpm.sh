#!/bin/sh
# build-rpm.sh VERSION: `make rpm`.  Builds the binary RPM from
# packaging/rpm/ldap2imocha.spec in build/rpm/ (rpmbuild's topdir), from a
# tarball of the tree.  On Debian, where the Build-Requires are Debian
# packages under other names, it runs `rpmbuild -bb --nodeps`; elsewhere
# RPMBUILD_FLAGS may drop --nodeps.  The .rpm ends up in build/rpm/RPMS/.
set -eu
version=$1
top=$(cd "$(dirname "$0")/.." && pwd)
out=$top/build/rpm
name=ldap2imocha-$version

command -v rpmbuild >/dev/null 2>&1 || {
	echo "build-rpm: rpmbuild not found: apt-get install rpm (or dnf install rpm-build)" >&2
	exit 1
}
spec_version=$(sed -n 's/^Version:[[:space:]]*//p' "$top/packaging/rpm/ldap2imocha.spec")
if [ "$spec_version" != "$version" ]; then
	echo "build-rpm: packaging/rpm/ldap2imocha.spec says $spec_version, the Makefile $version" >&2
	exit 1
fi

rm -rf "$out"
mkdir -p "$out/SOURCES" "$out/stage/$name"
tar -C "$top" --exclude=./.git --exclude=./build --exclude='./build-*' \
    --exclude=__pycache__ -cf - . | tar -C "$out/stage/$name" -xf -
tar -C "$out/stage" -czf "$out/SOURCES/$name.tar.gz" "$name"
rm -rf "$out/stage"
# No debuginfo subpackage here: Debian's rpm lacks find-debuginfo.
rpmbuild -bb ${RPMBUILD_FLAGS:---nodeps} \
    --define "_topdir $out" --define 'debug_package %{nil}' \
    "$top/packaging/rpm/ldap2imocha.spec"
ls -l "$out"/RPMS/*/*.rpm
