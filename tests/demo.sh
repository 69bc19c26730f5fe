#!/bin/sh
# demo.sh BINARY: the agent's main job against an embedded default: a
# throwaway slapd loaded with etc/demo/directory.ldif and the local iMocha
# stand-in (tests/lib/fake_imocha.py).  Runs check, plan, sync, status and
# a second sync, showing each, then stops everything it started.
L2I_TOP=$(cd "$(dirname "$0")/.." && pwd)
L2I_BIN=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
export L2I_TOP L2I_BIN
. "$L2I_TOP/tests/lib/common.sh"
. "$L2I_TOP/tests/lib/slapd.sh"
t_setup
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
show() {
	printf '$ ldap2imocha %s\n' "$*"
	"$L2I_BIN" -c "$T/demo.ini" "$@"
	echo "(exit status $?)"
}

slapd_start "$T/ldap" || exit 1
slapd_add "$T/ldap" "$L2I_TOP/etc/demo/directory.ldif" >/dev/null || exit 1
fake_start "$T/fake" --bu 164373:Engineering --bu 164374:Sales --bu 164375:Support \
    --bu "164376:Default BU 1" || exit 1
CFG_MAPPING="match_ou_name = yes
default_business_unit = Default BU 1" write_config "$T/demo.ini"

say "A throwaway directory at $SLAPD_URI and an iMocha stand-in at $FAKE_URL"
say "The config ($T/demo.ini; secrets live in files of mode 0600)"
cat "$T/demo.ini"
say "check: config, LDAP bind, iMocha's business units"
show check
say "plan: what a sync would do (changes nothing)"
show plan
say "sync: make iMocha match"
show sync
say "What the iMocha stand-in now holds"
fake_get /_fake/users | /usr/bin/python3 -c '
import json, sys
for u in json.load(sys.stdin)["users"]:
    print("  %-26s %-16s business unit %s" % (u["email"], u["fullName"], u["businessunitId"]))'
say "status"
show status
say "A second sync finds nothing to do"
show sync
say "Done; the throwaway directory and stand-in stop now"
# The EXIT trap of t_setup stops slapd and the stand-in and removes $T.
exit 0
