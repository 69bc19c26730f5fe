#!/bin/sh
# ad_dirsync: AD's incremental reads (DirSync, src/ldap/ldapdirsync.c)
# where they can go wrong, on the real Samba AD DC of the rig: a cookie
# the DC refuses; a cookie of another DC (a failover between the URIs of
# uri; a DC restored from a backup has a new invocationId); the
# connections of one run reaching different DCs; deletions, which DirSync
# tells an ordinary account nothing of (deactivated by the next full
# read, within full_every; at once for an account granted the right); a
# user filter DirSync cannot follow (memberOf).  Each case checks how the
# run read, so that a silent fall back to full reads fails it.
#
# The second DC is samba_clone_dc's: the same objects and objectGUIDs,
# its own dsServiceName, invocationId and USNs, and no replication.
. "$L2I_TOP/tests/lib/common.sh"
. "$L2I_TOP/tests/lib/directory.sh"
L2I_SERVER=ad-ou
srv_require
require_cmd sqlite3 sqlite3
t_setup
srv_start dir || { not_ok "the AD server starts"; t_done; }
fake_start "$T/fake" --bu 1:Engineering --bu 2:Sales || { not_ok "fake iMocha starts"; t_done; }
srv_ou_add Engineering Sales || { not_ok "OUs load"; t_done; }
srv_user_add Engineering ann bob cat || { not_ok "users load"; t_done; }
srv_user_add Sales dan eve || { not_ok "users load"; t_done; }
field() { fake_user_field "$1@example.com" "$2"; }
said() { grep -c "$1" "$T/err"; }

# sync_read CONFIG MODE NAME: a sync that exits 0 and reads as MODE.
sync_read() {
	run_agent -c "$1" sync
	check_eq "$3: exit 0, read $2" "$RC $(srv_read_mode)" "0 $2" || sed 's/^/# /' "$T/err"
}

# cookie_edit DB FIELD VALUE: replace one ';'-separated field of the stored
# DirSync cookie (dirsync1;FLAGS;USN;COOKIE-HEX;INVOCATIONID DSSERVICENAME).
cookie_edit() {
	"$L2I_PY" - "$@" <<'EOF'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
v = db.execute("SELECT value FROM meta WHERE key = 'sync_cookie'").fetchone()[0]
p = v.split(";", 4)
p[int(sys.argv[2])] = sys.argv[3]
db.execute("UPDATE meta SET value = ? WHERE key = 'sync_cookie'", (";".join(p),))
db.commit()
EOF
}
cookie() { sqlite3 "$1" "SELECT value FROM meta WHERE key = 'sync_cookie'"; }

srv_config "$T/agent.ini"
run_agent -c "$T/agent.ini" sync
check_eq "first sync creates the five" "$RC $(fake_users_emails | wc -l)" "0 5"
check_contains "the cookie is a DirSync cookie with the DC's identity" "$(cookie "$T/state.db")" \
    "CN=NTDS Settings,CN=DC1,"
# Trust is earned by a user change reported rightly, never by objects
# DirSync names that are none of the agent's (a group outside base_dn).
srv_group_add Staff ann || not_ok "a group is made, outside base_dn"
run_agent -c "$T/agent.ini" sync
check_contains "a change outside base_dn: the audit has no user change to judge by" \
    "$(cat "$T/err")" "no miss, and no user change yet to judge them by"
srv_earn_trust ann "$T/agent.ini"
check_contains "a display name changed: the audit trusts the DC" "$(cat "$T/err")" \
    "they are trusted from now on"
sync_read "$T/agent.ini" incremental "trusted, nothing changed"

# A DC whose highestCommittedUSN has not moved wrote nothing: DirSync,
# which costs Samba a pass over the whole domain, is not asked.  Any
# write, anywhere on the DC, and it is.
run_agent -v -c "$T/agent.ini" sync
check_contains "nothing written on the DC: DirSync is not asked" "$(cat "$T/err")" \
    "no write on the domain controller since the last read"
srv_group_add Other bob || not_ok "a group is made, outside base_dn"
run_agent -v -c "$T/agent.ini" sync
check "a write outside base_dn: DirSync is asked" sh -c \
    "! grep -q 'no write on the domain controller' \"\$1\" && grep -q 'objects named' \"\$1\"" - \
    "$T/err"

# --- a cookie the DC refuses: one full read, said once --------------------
cookie_edit "$T/state.db" 3 6761726261676521
srv_user_add Sales fay || not_ok "fay joins"
sync_read "$T/agent.ini" full "a cookie the DC refuses"
check_eq "... said once" "$(said 'the domain controller refused the DirSync cookie')" 1
check_contains "... with the DC's answer" "$(cat "$T/err")" "(12: Critical extension is unavailable"
check_eq "... the joiner is created all the same" "$(field fay status)" Active
sync_read "$T/agent.ini" incremental "the run after: incremental again"

# --- a DC restored from a backup: same name, new invocationId ------------
cookie_edit "$T/state.db" 4 "00000000000000000000000000000000 $(cookie "$T/state.db" |
    sed 's/^[^;]*;[^;]*;[^;]*;[^;]*;[0-9a-f]* //')"
srv_user_move bob Sales || not_ok "bob moves"
sync_read "$T/agent.ini" full "a cookie of another invocationId"
check_eq "... said once" "$(said 'was given by another domain controller')" 1
check_eq "... bob is moved all the same" "$(field bob businessunitId)" 2
sync_read "$T/agent.ini" incremental "the run after: incremental again"

# --- moved out of base_dn: named outside it, so gone ----------------------
printf 'dn: %s\nchangetype: modrdn\nnewrdn: CN=eve\ndeleteoldrdn: 1\nnewsuperior: CN=Users,%s\n\n' \
    "$(srv_user_dn eve)" "$SRV_SUFFIX" | srv_modify || not_ok "eve moves out of base_dn"
echo "CN=eve,CN=Users,$SRV_SUFFIX" >"$SRV_DIR/dn/eve"
sync_read "$T/agent.ini" incremental "moved out of base_dn"
check_eq "... deactivated" "$(field eve status)" Inactive

# --- memberOf in the user filter: DirSync never names a member -----------
SRV_USER_FILTER="(&(objectCategory=person)(memberOf=CN=Nobody,$SRV_SUFFIX))" \
    CFG_STATE_FILE=$T/memberof.db srv_config "$T/memberof.ini"
run_agent -c "$T/memberof.ini" sync
run_agent -c "$T/memberof.ini" sync
check_eq "memberOf in the user filter: exit 0, read in full" "$RC $(srv_read_mode)" "0 full"
check_contains "... and why" "$(cat "$T/err")" \
    "tests memberOf, whose changes AD's DirSync never reports on the member"

# --- a deletion: deactivated within full_every ----------------------------
# The bound on AD: DirSync tells an ordinary account of no deletion, so
# the first full read after it finds it; full_every makes one due.
CFG_SYNC_EXTRA="full_every = 20s" srv_config "$T/every.ini"
# The agent counts full_every from when that read began: between before
# and after it.
before=$(date +%s)
run_agent -c "$T/every.ini" sync --full
after=$(date +%s)
check_eq "full_every = 20s: a full read" "$RC" 0
srv_user_delete cat || not_ok "cat is deleted"
sync_read "$T/every.ini" incremental "deleted: the next incremental run"
if [ $(($(date +%s) - before)) -lt 20 ]; then
	check_eq "... does not see it (DirSync names no deletion)" "$(field cat status)" Active
else
	skip "... does not see it: the machine took 20 s to get here"
fi
while [ $(($(date +%s) - after)) -lt 21 ]; do sleep 0.5; done
run_agent -c "$T/every.ini" sync
check_eq "deleted: once full_every passed, the run reads in full and deactivates" \
    "$RC $(srv_read_mode) $(field cat status)" "0 full Inactive" || sed 's/^/# /' "$T/err"
check_contains "... because full_every passed" "$(cat "$T/err")" "full_every has passed"
check_contains "... its audit does not take the deletion for a miss" "$(cat "$T/err")" \
    "1 users they did not report gone were deleted, which DirSync does not tell this account of"
sync_read "$T/agent.ini" incremental "after the deletion: still trusted, incremental"

# --- an account granted the right: deletions reported ---------------------
# The domain's Administrator holds "Replicating Directory Changes": asked
# without the object-security flag, DirSync names deleted objects.
CFG_BIND_DN=$SAMBA_ROOTDN CFG_BIND_PW=$SAMBA_ROOTPW CFG_STATE_FILE=$T/admin.db \
    srv_config "$T/admin.ini"
run_agent -c "$T/admin.ini" check
check_contains "with the right: check says deletions are seen by the next run" "$(cat "$T/out")" \
    "a deleted user is deactivated by the next run (the account may replicate directory changes)"
run_agent -c "$T/admin.ini" sync
check_eq "with the right: a first sync" "$RC" 0 || sed 's/^/# /' "$T/err"
check_contains "... its cookie taken without the object-security flag" "$(cookie "$T/admin.db")" \
    "dirsync1;0;"
srv_earn_trust ann "$T/admin.ini"
srv_user_delete dan || not_ok "dan is deleted"
sync_read "$T/admin.ini" incremental "with the right: a deletion"
check_eq "... is deactivated by the incremental run" "$(field dan status)" Inactive

# --- failover to another DC: its cookie is not used there -----------------
samba_clone_dc "$SRV_DIR/server" "$T/dc2/server" dc2 || { not_ok "a second DC"; t_done; }
DC2_URI=$SAMBA_LDAPS_URI
echo ad-ou >"$T/dc2/setup"
cp -R "$SRV_DIR/dn" "$T/dc2/dn"
srv_use "$T/dir"
DC1_URI=$SRV_LDAPS_URI
SRV_AGENT_URI="$DC1_URI $DC2_URI" CFG_STATE_FILE=$T/fo.db srv_config "$T/fo.ini"
run_agent -c "$T/fo.ini" sync
check_eq "two URIs: a first sync, on the first DC" "$RC" 0 || sed 's/^/# /' "$T/err"
srv_earn_trust ann "$T/fo.ini"
sync_read "$T/fo.ini" incremental "two URIs, nothing changed"
srv_use "$T/dc2"
srv_user_add Sales gus || not_ok "gus joins, on the second DC"
srv_use "$T/dir"
samba_stop "$SRV_DIR/server"
sync_read "$T/fo.ini" full "the first DC down: the second's read"
check_contains "... its cookie is the first DC's, not used there" "$(cat "$T/err")" \
    "was given by another domain controller"
check_eq "... gus, added on the second DC, is created" "$(field gus status)" Active
check_contains "... the cookie kept now is the second DC's" "$(cookie "$T/fo.db")" \
    "CN=NTDS Settings,CN=DC2,"

# --- one run's connections reaching different DCs --------------------------
# The OUs are read, then iMocha's business units are asked for, then the
# users: the first DC answers the first, and goes down while the list is
# held, so the second answers the users' read.
samba_restart "$SRV_DIR/server" || not_ok "the first DC starts again"
fake_faults '[{"path":"/v3/accounts/business-units","hold":true}]' || not_ok "hold the BU list"
agent_bg -c "$T/fo.ini" sync
held_one() { [ "$(fake_held)" -ge 1 ]; }
wait_for 30 held_one || not_ok "the run asks for the business units"
samba_stop "$SRV_DIR/server"
fake_release
wait "$AGENT_PID"
check_eq "connections to two DCs: exit 0" "$?" 0 || sed 's/^/# /' "$T/bg.err"
check_contains "... said" "$(cat "$T/bg.err")" \
    "this run's connections reached different domain controllers"
check_contains "... read in full" "$(cat "$T/bg.err")" \
    "directory read in full: this run's connections reached different domain controllers"

t_done
