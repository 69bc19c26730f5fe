#!/bin/sh
# trust: no user is deactivated on an incremental read's word alone
# (SPEC.md, Trust).  A lying proxy (tests/lib/ldap_liar.py) in front of a
# real slapd with syncprov tells 389 Directory Server's lies on demand:
# "every entry not sent is gone" (refreshDeletes FALSE), changed entries
# without entryUUID.  Each lie must end with no wrong deactivation, and a
# user who really left must still be deactivated, through the
# confirmation.  Also: a server posing as 389 is read in full under
# content_sync = auto; a referral entry over managed users holds them;
# limits tripped on an incremental read are judged again on a full one;
# plan reads as sync would; a user disabled on a server that does not
# report entries leaving the filter is still seen by the next run.
. "$L2I_TOP/tests/lib/common.sh"
. "$L2I_TOP/tests/lib/slapd.sh"
. "$L2I_TOP/tests/lib/liar.sh"
t_setup
liar_rig 20 20
field() { fake_user_field "$1@example.com" "$2"; }
# retrust: a lie cost the server its trust, as it must; clear the verdict
# and let an honest audit trust it again, for the next case.
retrust() {
	run_agent -c "$T/agent.ini" reset-trust
	check_eq "reset-trust: exit 0" "$RC" 0
	slapd_earn_trust "$T/ldap" "uid=user00001,ou=Engineering,$P" "$T/agent.ini"
	check_contains "trusted again after an honest audit" "$(cat "$T/err")" \
	    "they are trusted from now on"
}
statuses() { fake_request_count POST /v3/accounts/user/status; }
sync_run() { run_agent -c "$T/agent.ini" sync "$@"; }

sync_run
check_eq "first run: exit 0" "$RC" 0
check_eq "first run creates the 40 users" "$(fake_users_emails | wc -l)" 40
# Incremental reads are used only once an audit saw the server report a
# user change rightly.
slapd_earn_trust "$T/ldap" "uid=user00001,ou=Engineering,$P" "$T/agent.ini"
check_contains "an audit trusts the honest server" "$(cat "$T/err")" "they are trusted from now on"
sync_run
check_contains "through a faithful proxy the server is OpenLDAP: incremental" \
    "$(cat "$T/err")" "directory read incremental"

# --- 389's lie: "every entry not sent is gone" --------------------------------
slapd_modify "$T/ldap" <<EOF
dn: uid=user00002,ou=Engineering,$P
changetype: modify
replace: cn
cn: Renamed User
EOF
liar_set "$T/liar" refresh_deletes_false
s=$(statuses)
sync_run
check_eq "refreshDeletes FALSE: exit 0" "$RC" 0
check "refreshDeletes FALSE: the lie was told" test "$(liar_told "$T/liar" refresh_deletes_false)" -ge 1
check_eq "refreshDeletes FALSE: nobody deactivated" "$(($(statuses) - s))" 0
check_contains "refreshDeletes FALSE: the 39 said gone are found in scope" "$(cat "$T/err")" \
    "the incremental read said 39 users left who are still in scope"
check_contains "refreshDeletes FALSE: so the run reads in full" "$(cat "$T/err")" \
    "reading the directory in full after all"
check_eq "refreshDeletes FALSE: the lie costs the server its trust" \
    "$(sqlite3 "$T/state.db" "SELECT substr(value, 1, 9) FROM meta WHERE key LIKE 'audit:%'")" untrusted
check_eq "refreshDeletes FALSE: the misses are counted" \
    "$(sqlite3 "$T/state.db" "SELECT value FROM meta WHERE key = 'audit_misses_total'")" 39
liar_set "$T/liar" ""
sync_run
check_contains "distrusted: the next run reads in full, naming the key" "$(cat "$T/err")" \
    "they are not used ([ldap] content_sync = auto); 'ldap2imocha reset-trust' clears the verdict"
retrust

# --- changed entries without entryUUID ----------------------------------------
for u in 3 4 5; do
	printf 'dn: uid=user0000%s,ou=Engineering,%s\nchangetype: modify\nreplace: description\ndescription: edited\n\n' "$u" "$P"
done | slapd_modify "$T/ldap"
liar_set "$T/liar" strip_operational
s=$(statuses)
sync_run
check_eq "no entryUUID: exit 0" "$RC" 0
check "no entryUUID: the lie was told" test "$(liar_told "$T/liar" strip_operational)" -ge 3
check_eq "no entryUUID: nobody deactivated" "$(($(statuses) - s))" 0
check_contains "no entryUUID: the entries are read again by DN" "$(cat "$T/err")" \
    "3 entries came without the attributes the agent needs"
check_eq "no entryUUID: the mirror keeps every user with its id" \
    "$(sqlite3 "$T/state.db" "SELECT count(*) FROM directory_entry WHERE in_scope = 1 AND uuid IS NOT NULL")" 40
liar_set "$T/liar" ""

# --- a user who really left is still deactivated, through the confirmation ----
slapd_delete "$T/ldap" "uid=user00006,ou=Engineering,$P"
sync_run
check_eq "deleted: exit 0" "$RC" 0
check_contains "deleted: an incremental read" "$(cat "$T/err")" "directory read incremental"
check_contains "deleted: the server confirms it is gone" "$(cat "$T/err")" \
    "confirmed that 1 of the users the incremental read said left are gone"
check_eq "deleted: deactivated" "$(field user00006 status)" Inactive
check_eq "deleted: nobody else" "$(field user00007 status)" Active

# --- too many to confirm one by one: read in full -----------------------------
gen_users 110 Sales 100 | slapd_add "$T/ldap"
CFG_URI=$LIAR_URI CFG_SYNC_EXTRA="max_creates = 1000" write_config "$T/agent.ini"
sync_run
check_eq "110 joiners: exit 0" "$RC" 0
slapd_modify "$T/ldap" <<EOF
dn: uid=user00100,ou=Sales,$P
changetype: modify
replace: description
description: edited
EOF
liar_set "$T/liar" refresh_deletes_false
s=$(statuses)
sync_run
check_eq "148 said gone: exit 0" "$RC" 0
check_contains "148 said gone: more than 100 to confirm, read in full" "$(cat "$T/err")" \
    "more than 100 to confirm one by one"
check_eq "148 said gone: nobody deactivated" "$(($(statuses) - s))" 0
liar_set "$T/liar" ""

# --- a server that is not OpenLDAP is read in full under auto -----------------
liar_set "$T/liar" "pose_as_389 refresh_deletes_false"
sync_run
check_eq "posing as 389: exit 0" "$RC" 0
check "posing as 389: the root DSE lie was told" test "$(liar_told "$T/liar" pose_as_389)" -ge 1
check_contains "posing as 389: a paged full read, saying why" "$(cat "$T/err")" \
    "incremental reads are trusted only on OpenLDAP's syncprov"
CFG_URI=$LIAR_URI CFG_SYNC_EXTRA="max_creates = 1000" CFG_LDAP_EXTRA="content_sync = yes" \
    write_config "$T/yes.ini"
run_agent -c "$T/yes.ini" sync
run_agent -c "$T/yes.ini" sync
s=$(statuses)
slapd_modify "$T/ldap" <<EOF
dn: uid=user00101,ou=Sales,$P
changetype: modify
replace: description
description: edited again
EOF
run_agent -c "$T/yes.ini" sync
check_eq "posing as 389, content_sync = yes: exit 0" "$RC" 0
check_contains "content_sync = yes: its content sync is used" "$(cat "$T/err")" \
    "directory read incremental"
check_eq "content_sync = yes, refreshDeletes FALSE: nobody deactivated" "$(($(statuses) - s))" 0
liar_set "$T/liar" ""
run_agent -c "$T/yes.ini" sync
check_contains "content_sync = yes, distrusted: used all the same, with a warning" \
    "$(cat "$T/err")" "they are used all the same ([ldap] content_sync = yes)"
retrust

# --- plan reads as sync would, and shows what sync then does ------------------
slapd_delete "$T/ldap" "uid=user00008,ou=Engineering,$P"
gen_users 1 Sales 300 | slapd_add "$T/ldap"
run_agent -c "$T/agent.ini" plan --json
check_eq "plan: exit 0" "$RC" 0
check_contains "plan: reads incrementally, as sync will" "$(cat "$T/err")" "directory read incremental"
plan_actions=$(/usr/bin/python3 -c 'import json,sys
p = json.load(open(sys.argv[1]))
print(" ".join(sorted(c["action"] + ":" + c["email"] for c in p["changes"])))' "$T/out")
check_eq "plan: the deletion and the joiner" "$plan_actions" \
    "create:user00300@example.com deactivate:user00008@example.com"
sync_run
check_eq "sync after plan: exit 0" "$RC" 0
check_eq "sync after plan: the deletion as planned" "$(field user00008 status)" Inactive
check_eq "sync after plan: the joiner as planned" "$(field user00300 createCount)" 1
# The same for a full read (which also audits).
slapd_delete "$T/ldap" "uid=user00007,ou=Engineering,$P"
gen_users 1 Sales 301 | slapd_add "$T/ldap"
run_agent -c "$T/agent.ini" plan --full --json
check_contains "plan --full: a full read" "$(cat "$T/err")" "directory read in full: --full"
plan_actions=$(/usr/bin/python3 -c 'import json,sys
p = json.load(open(sys.argv[1]))
print(" ".join(sorted(c["action"] + ":" + c["email"] for c in p["changes"])))' "$T/out")
check_eq "plan --full: the deletion and the joiner" "$plan_actions" \
    "create:user00301@example.com deactivate:user00007@example.com"
w=$(fake_write_count)
sync_run --full
check_eq "sync --full after plan --full: exactly those two writes" "$(($(fake_write_count) - w))" 2
check_eq "sync --full after plan --full: as planned" \
    "$(field user00007 status) $(field user00301 createCount)" "Inactive 1"

# --- limits are judged on a full read -----------------------------------------
slapd_delete "$T/ldap" "uid=user00009,ou=Engineering,$P" "uid=user00010,ou=Engineering,$P"
CFG_URI=$LIAR_URI CFG_SYNC_EXTRA="max_creates = 1000
max_deactivations = 1" write_config "$T/limit.ini"
s=$(statuses)
run_agent -c "$T/limit.ini" sync
check_eq "over max_deactivations on an incremental read: exit 5" "$RC" 5
check_contains "the limit is judged again on a full read" "$(cat "$T/err")" \
    "limits are judged on a full read"
check_eq "over the limit: nobody deactivated" "$(($(statuses) - s))" 0
run_agent -c "$T/limit.ini" plan --out "$T/limit.plan"
run_agent -c "$T/limit.ini" sync --plan "$T/limit.plan"
check_eq "over max_deactivations with --plan FILE: exit 5 too" "$RC" 5
check_eq "--plan over the limit: nobody deactivated" "$(($(statuses) - s))" 0
CFG_URI=$LIAR_URI CFG_SYNC_EXTRA="max_creates = 1000
max_deactivations = 2" write_config "$T/limit.ini"
run_agent -c "$T/limit.ini" sync
check_eq "exactly at max_deactivations: exit 0" "$RC" 0
check_eq "exactly at the limit: both deactivated" \
    "$(field user00009 status) $(field user00010 status)" "Inactive Inactive"

# --- incomplete incremental reads: a server that stops, a dropped connection ---
gen_users 1 Sales 400 | slapd_add "$T/ldap"
CFG_URI=$LIAR_URI CFG_SYNC_EXTRA="max_creates = 1000" CFG_LDAP_EXTRA="timeout = 3" \
    write_config "$T/slow.ini"
w=$(fake_write_count)
liar_set "$T/liar" "stall_after=0 sync_only"
L2I_TIMEOUT=60 run_agent -c "$T/slow.ini" sync
check_eq "a content-sync read that stops answering: exit 3" "$RC" 3
check_contains "it times out after [ldap] timeout" "$(cat "$T/err")" \
    "timed out (no answer in 3 s)"
liar_set "$T/liar" "drop_after=0 sync_only"
run_agent -c "$T/slow.ini" sync
check_eq "a content-sync read whose connection drops: exit 3" "$RC" 3
check_eq "neither sent anything" "$(fake_write_count)" "$w"
liar_set "$T/liar" ""

# --- a rolling 24-hour cap on deactivations ------------------------------------
# Five deactivations were sent in this test so far (user00006 to 10).
slapd_delete "$T/ldap" "uid=user00011,ou=Engineering,$P"
CFG_URI=$LIAR_URI CFG_SYNC_EXTRA="max_creates = 1000
max_deactivations_per_day = 5" write_config "$T/day.ini"
s=$(statuses)
run_agent -c "$T/day.ini" sync
check_eq "over max_deactivations_per_day: exit 5" "$RC" 5
check_contains "names the daily cap and the last day's count" "$(cat "$T/err")" \
    "max_deactivations_per_day stops this run: 1 deactivations planned and 5 sent in the last 24 hours, 5 allowed"
check_contains "advises a reviewed plan, applied as reviewed" "$(cat "$T/err")" \
    "'ldap2imocha plan --out FILE', then apply exactly that plan with 'ldap2imocha sync --plan FILE --force'"
check_eq "over the daily cap: nobody deactivated" "$(($(statuses) - s))" 0
run_agent -c "$T/day.ini" plan --out "$T/day.plan"
check_eq "plan --out under the daily cap: exit 0" "$RC" 0
check_contains "plan names the limit sync would trip" "$(cat "$T/err")" \
    "sync would stop here: max_deactivations_per_day"
run_agent -c "$T/day.ini" sync --plan "$T/day.plan"
check_eq "a saved plan over the daily cap: exit 5 too" "$RC" 5
run_agent -c "$T/day.ini" sync --plan "$T/day.plan" --force
check_eq "the reviewed plan applied with --force: exit 0" "$RC" 0
check_eq "the reviewed plan applied: deactivated" "$(field user00011 status)" Inactive

# --- lies of omission: the audit of a full read finds them ----------------------
slapd_delete "$T/ldap" "uid=user00014,ou=Engineering,$P"
liar_set "$T/liar" drop_deletes
sync_run
check_eq "an unreported deletion: exit 0" "$RC" 0
check "an unreported deletion: the lie was told" test "$(liar_told "$T/liar" drop_deletes)" -ge 1
check_eq "an unreported deletion: missed by the incremental read" "$(field user00014 status)" Active
sync_run --full
check_contains "the audit of the next full read finds the miss" "$(cat "$T/err")" \
    "audit of its incremental reads: 1 changes a full read shows were missing, e.g. uid=user00014"
check_eq "the full read deactivates the leaver" "$(field user00014 status)" Inactive
liar_set "$T/liar" ""
sync_run
check_contains "distrusted after the audit: reads in full" "$(cat "$T/err")" \
    "directory read in full: an audit found this server's incremental reads wrong"
run_agent -c "$T/agent.ini" status --json
check_eq "status --json counts the misses and the distrusted server" \
    "$(/usr/bin/python3 -c 'import json,sys; d=json.load(open(sys.argv[1]))["directory"]; print(d["audit_misses"] >= 1, d["servers_distrusted"])' "$T/out")" \
    "True 1"
retrust
# FreeIPA's changelog: incremental reads that report no user change at all
gen_users 1 Engineering 60 | slapd_add "$T/ldap"
liar_set "$T/liar" report_nothing
sync_run
check_eq "a changelog that reports nothing: the joiner is missed" "$(field user00060 createCount)" ""
sync_run --full
check_contains "the audit finds that miss too" "$(cat "$T/err")" \
    "changes a full read shows were missing, e.g. uid=user00060"
check_eq "and the full read creates the joiner" "$(field user00060 createCount)" 1
liar_set "$T/liar" ""
retrust

# --- an account that can read nothing is an LDAP failure, --force or not ------
SLAPD_ANON_NOREAD=1 slapd_start "$T/blind" || { not_ok "blind slapd starts"; t_done; }
{ gen_ou Sales; gen_users 3 Sales 500; } | slapd_add "$T/blind"
CFG_BIND_DN= CFG_STATE_FILE=$T/blind.db write_config "$T/blind.ini"
run_agent -c "$T/blind.ini" sync
check_eq "anonymous bind that reads nothing: exit 3" "$RC" 3
check_contains "says nothing under base_dn can be read" "$(cat "$T/err")" \
    "nothing under base_dn ou=People,dc=example,dc=com can be read"
run_agent -c "$T/blind.ini" sync --force
check_eq "--force does not override it" "$RC" 3
slapd_use "$T/ldap"

# --- a referral entry over managed users holds them ----------------------------
for u in 21 22; do
	printf 'dn: uid=user000%s,ou=Sales,%s\nchangetype: delete\n\n' "$u" "$P"
done | slapd_modify "$T/ldap"
slapd_add "$T/ldap" -M <<EOF
dn: ou=Elsewhere,$P
objectClass: referral
objectClass: extensibleObject
ou: Elsewhere
ref: ldap://other.example.com/ou=Sales,$P
EOF
# ou=Sales itself now points elsewhere: its users are not read here.
s=$(statuses)
CFG_URI=$LIAR_URI CFG_SYNC_EXTRA="max_creates = 1000
max_deactivations = 1000" write_config "$T/ref.ini"
run_agent -c "$T/ref.ini" sync --full
check_eq "a reference naming ou=Sales: exit 0" "$RC" 0
check_contains "the reference is reported" "$(cat "$T/err")" "search continuation references"
check_contains "the deleted users under the referenced OU are held" "$(cat "$T/err")" \
    "held user00021@example.com"
check_eq "held: user00021 stays active" "$(field user00021 status)" Active
check_eq "nobody deactivated" "$(($(statuses) - s))" 0
# Held, the plan is not complete: the next run plans them again, and
# reports them again, even though nothing changed since.
run_agent -c "$T/ref.ini" sync
check_eq "the next run: exit 0" "$RC" 0
check_contains "the next run holds them again" "$(cat "$T/err")" "held user00021@example.com"
check_eq "still active" "$(field user00021 status)" Active
# --- a reference that only the confirmation meets -----------------------------
# The referral turns up between the read and the confirmation: the proxy
# lets only the confirmation searches (their filters name entryUUID) see it.
slapd_delete "$T/ldap" "uid=user00023,ou=Sales,$P"
liar_set "$T/liar" refs_only_filter=entryuuid
run_agent -c "$T/ref.ini" sync
check_eq "a reference met only by the confirmation: exit 0" "$RC" 0
check "the read's references were hidden" test "$(liar_told "$T/liar" refs_only_filter)" -ge 1
check_contains "the confirmation's reference holds the leaver under it" "$(cat "$T/err")" \
    "held user00023@example.com (uid=user00023,ou=Sales,$P): the directory server could not confirm"
check_eq "held: user00023 stays active" "$(field user00023 status)" Active
liar_set "$T/liar" ""

# --- a user disabled where the server does not report it leaving the filter --
CFG_URI=$LIAR_URI CFG_SYNC_EXTRA="max_creates = 1000" CFG_LDAP_EXTRA="content_sync = yes
disabled_filter = (employeeType=disabled)" write_config "$T/dis.ini"
liar_set "$T/liar" pose_as_389
run_agent -c "$T/dis.ini" sync
slapd_earn_trust "$T/ldap" "uid=user00001,ou=Engineering,$P" "$T/dis.ini"
run_agent -c "$T/dis.ini" sync
check_contains "disabled_filter set, posing as 389: incremental" "$(cat "$T/err")" \
    "directory read incremental"
slapd_modify "$T/ldap" <<EOF
dn: uid=user00012,ou=Engineering,$P
changetype: modify
add: employeeType
employeeType: disabled
EOF
liar_set "$T/liar" "pose_as_389 drop_deletes"
run_agent -c "$T/dis.ini" sync
check_eq "disabled, unreported: exit 0" "$RC" 0
check "disabled, unreported: the server's report was dropped" \
    test "$(liar_told "$T/liar" drop_deletes)" -ge 1
check_contains "disabled, unreported: found by its modifyTimestamp" "$(cat "$T/err")" \
    "1 users in scope at the last read match disabled_filter now"
check_eq "disabled, unreported: deactivated all the same" "$(field user00012 status)" Inactive
check_eq "disabled, unreported: nobody else" "$(field user00013 status)" Active
liar_set "$T/liar" ""

t_done
