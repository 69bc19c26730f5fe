#!/bin/sh
# incremental: RFC 4533 content sync against slapd's syncprov overlay.
# Added, modified, moved, deleted and disabled entries are found by an
# incremental read; a renamed OU and an edited ou_attribute force a full
# read; the present phase after a slapd restart loses nobody; a server
# without syncprov is read in full; a run killed after the mirror and
# cookie are saved, or mid-apply, is completed by the next.
. "$L2I_TOP/tests/lib/common.sh"
. "$L2I_TOP/tests/lib/slapd.sh"
t_setup
SLAPD_SYNCPROV=1 slapd_start "$T/ldap" || skip_all "slapd could not start"
fake_start "$T/fake" --bu 1:Engineering --bu 2:Sales --bu 3:Support ||
    { not_ok "fake iMocha starts"; t_done; }
P=ou=People,dc=example,dc=com
{ gen_ou Engineering; gen_ou Sales; gen_users 4 Engineering 1; gen_users 4 Sales 5; } |
    slapd_add "$T/ldap" || { not_ok "directory loads"; t_done; }
CFG_LDAP_EXTRA="disabled_filter = (employeeType=disabled)"
CFG_MAPPING="ou_attribute = businessCategory"
export CFG_LDAP_EXTRA CFG_MAPPING
write_config "$T/agent.ini"
field() { fake_user_field "$1@example.com" "$2"; }
# For wait_for, which runs a command in this shell (functions included).
creates_above() { [ "$(fake_request_count POST /v3/accounts/user/create)" -gt "$1" ]; }
writes_at_least() { [ "$(fake_write_count)" -ge "$1" ]; }
sync_ok() {
	run_agent -c "$T/agent.ini" sync "$@"
	[ "$RC" -eq 0 ] || { diag "sync exited $RC"; sed 's/^/# /' "$T/err"; }
}

sync_ok
check_contains "first run reads in full (no cookie yet)" "$(cat "$T/err")" \
    "directory read in full: no content-sync cookie yet"
check_eq "first run creates every user" "$(fake_users_emails | wc -l)" 8
check "a cookie is stored with the mirror" \
    test -n "$(sqlite3 "$T/state.db" "SELECT value FROM meta WHERE key='sync_cookie'")"

# Incremental reads are used only after an audit saw the server report a
# user change rightly (SPEC.md, Trust).
run_agent -c "$T/agent.ini" sync
check_contains "no change yet: the run audits, and reads in full" "$(cat "$T/err")" \
    "directory read in full: auditing the server's incremental reads (not trusted yet)"
check_contains "no change yet: nothing to judge the server by" "$(cat "$T/err")" \
    "no user change yet to judge them by"
slapd_earn_trust "$T/ldap" "uid=user00008,ou=Sales,$P" "$T/agent.ini"
check_contains "a change: the audit trusts the server" "$(cat "$T/err")" \
    "they are trusted from now on"
check_eq "the verdict is kept" \
    "$(sqlite3 "$T/state.db" "SELECT value FROM meta WHERE key LIKE 'audit:%'")" trusted

w=$(fake_write_count)
sync_ok
check_contains "second run reads incrementally" "$(cat "$T/err")" "directory read incremental"
check_contains "and finds nothing changed" "$(cat "$T/err")" "nothing changed in the directory"
check_contains "nothing changed: the summary counts the users in scope" "$(cat "$T/err")" \
    "in scope 8, created 0"
check_eq "nothing changed: no write" "$(fake_write_count)" "$w"

# added
gen_users 1 Sales 9 | slapd_add "$T/ldap"
sync_ok
check_contains "added: incremental" "$(cat "$T/err")" "directory read incremental"
check_eq "added: created" "$(field user00009 createCount)" 1

# The last run applied its whole plan: a run plans the e-mail keys its
# read touched, not the directory (state_stage_delta.c), and plans them as
# a plan of the whole would.  Each case ends with `plan --full` finding
# nothing left to do.
nothing_left() {
	run_agent -c "$T/agent.ini" plan --full
	check_contains "$1: a plan of the whole directory finds nothing left" "$(cat "$T/out")" \
	    "plan: 0 to create, 0 to move, 0 to deactivate, 0 to reactivate"
}
gen_users 1 Sales 41 | slapd_add "$T/ldap"
run_agent -c "$T/agent.ini" -v sync
check_contains "delta: a new user, one key planned" "$(cat "$T/err")" \
    "planning the 1 e-mail keys the read touched"
check_eq "delta: created" "$RC $(field user00041 createCount)" "0 1"
check_contains "delta: the time sending took is logged apart" "$(cat "$T/err")" \
    "sent 1 change to iMocha in "
nothing_left "delta: a new user"
# an e-mail changed: the old key and the new, and the old account goes
slapd_modify "$T/ldap" <<EOF
dn: uid=user00041,ou=Sales,$P
changetype: modify
replace: mail
mail: user00041b@example.com
EOF
run_agent -c "$T/agent.ini" -v sync
check_contains "delta: an e-mail changed, both keys planned" "$(cat "$T/err")" \
    "planning the 2 e-mail keys the read touched"
check_eq "delta: the new address created, the old deactivated" \
    "$RC $(fake_user_field user00041b@example.com createCount) $(field user00041 status)" \
    "0 1 Inactive"
nothing_left "delta: an e-mail changed"
# a new entry takes the e-mail of one the read did not send: both are
# skipped, the account stays; when it goes, nothing is written
w=$(fake_write_count)
gen_users 1 Sales 42 | sed 's/^mail: .*/mail: user00005@example.com/' | slapd_add "$T/ldap"
run_agent -c "$T/agent.ini" -v sync
check_contains "delta: an e-mail shared with an entry not sent, that one is skipped" \
    "$(cat "$T/err")" "skipped uid=user00005,ou=Sales,$P: e-mail address shared with"
check_eq "delta: ... and its account is left alone" "$RC $(field user00005 status) $(fake_write_count)" \
    "0 Active $w"
nothing_left "delta: a shared e-mail"
slapd_delete "$T/ldap" "uid=user00042,ou=Sales,$P"
run_agent -c "$T/agent.ini" -v sync
check_eq "delta: the sharer gone, no write" "$RC $(field user00005 status) $(fake_write_count)" \
    "0 Active $w"
check "delta: ... and nobody skipped" sh -c "! grep -q 'skipped uid=user00005' '$T/err'"
nothing_left "delta: a sharer gone"

# modified, no write needed
slapd_modify "$T/ldap" <<EOF
dn: uid=user00002,ou=Engineering,$P
changetype: modify
replace: description
description: edited
EOF
w=$(fake_write_count)
sync_ok
check_eq "modified (description): no write" "$(fake_write_count)" "$w"
check_contains "modified: incremental" "$(cat "$T/err")" "directory read incremental"
check_contains "modified: nothing the agent uses, no plan made" "$(cat "$T/err")" \
    "nothing changed in the directory since the last run that the agent uses"

# renamed within its OU: same user, same BU; only the mirror's DN changes
slapd_modrdn "$T/ldap" "uid=user00008,ou=Sales,$P" uid=user00008b
sync_ok
check_eq "renamed in place: no write" "$(fake_write_count)" "$w"
check_eq "renamed in place: the mirror has the new DN" \
    "$(sqlite3 "$T/state.db" "SELECT dn FROM directory_entry WHERE email='user00008@example.com'")" \
    "uid=user00008b,ou=Sales,$P"

# moved to another OU
slapd_modrdn "$T/ldap" -s "ou=Sales,$P" "uid=user00001,ou=Engineering,$P" uid=user00001
sync_ok
check_eq "moved: now in Sales" "$(field user00001 businessunitId)" 2
check_eq "moved: not created again" "$(field user00001 createCount)" 1

# deleted
slapd_delete "$T/ldap" "uid=user00003,ou=Engineering,$P"
sync_ok
check_eq "deleted: Inactive" "$(field user00003 status)" Inactive

# disabled by the filter
slapd_modify "$T/ldap" <<EOF
dn: uid=user00004,ou=Engineering,$P
changetype: modify
add: employeeType
employeeType: disabled
EOF
sync_ok
check_eq "disabled by filter: Inactive" "$(field user00004 status)" Inactive
check_eq "others untouched by the incremental reads" "$(field user00005 status)" Active

# an OU renamed: its users' DNs change without the server saying so for them
slapd_modrdn "$T/ldap" "ou=Engineering,$P" ou=Support
sync_ok
check_contains "renamed OU: a full read" "$(cat "$T/err")" "an OU changed"
check_eq "renamed OU: its user moves to the BU of the new name" \
    "$(field user00002 businessunitId)" 3

# ou_attribute edited on an OU
slapd_modify "$T/ldap" <<EOF
dn: ou=Sales,$P
changetype: modify
add: objectClass
objectClass: extensibleObject
-
add: businessCategory
businessCategory: Engineering
EOF
sync_ok
check_contains "edited ou_attribute: a full read" "$(cat "$T/err")" "an OU changed"
check_eq "edited ou_attribute: users follow it" "$(field user00005 businessunitId)" 1

# the present phase: changes made before a slapd restart are beyond the
# session log, so the server lists every unchanged entry instead; the one
# deleted meanwhile is gone, nobody else is.
slapd_delete "$T/ldap" "uid=user00006,ou=Sales,$P"
slapd_restart "$T/ldap"
gen_users 1 Sales 10 | slapd_add "$T/ldap"
before=$(fake_request_count POST /v3/accounts/user/status)
sync_ok
check_eq "after a restart: the new user is created" "$(field user00010 createCount)" 1
check_eq "after a restart: the user deleted before it is deactivated" \
    "$(field user00006 status)" Inactive
check_eq "after a restart: no one else deactivated" \
    "$(($(fake_request_count POST /v3/accounts/user/status) - before))" 1

# A present phase that lists every entry the mirror holds and sends none
# (a write outside base_dn, then a restart): nothing changed, known
# without merging the mirror into the stage; one that leaves an entry out
# (deleted before the restart): that one is gone.
sync_ok
printf 'dn: cn=outside,dc=example,dc=com\nobjectClass: organizationalRole\ncn: outside\n\n' |
    slapd_add "$T/ldap"
slapd_restart "$T/ldap"
w=$(fake_write_count)
run_agent -c "$T/agent.ini" -v sync
check_contains "a present phase listing everyone: it was one" "$(cat "$T/err")" \
    "content sync: 0 users sent (present phase)"
check_contains "... and nothing changed" "$(cat "$T/err")" "nothing changed in the directory"
check_eq "... no write" "$RC $(fake_write_count)" "0 $w"
slapd_delete "$T/ldap" "uid=user00007,ou=Sales,$P"
slapd_restart "$T/ldap"
run_agent -c "$T/agent.ini" -v sync
check_contains "a present phase leaving one out: it was one" "$(cat "$T/err")" \
    "content sync: 0 users sent (present phase)"
check_eq "... the one left out is deactivated" "$RC $(field user00007 status)" "0 Inactive"

# --full reads everything
sync_ok --full
check_contains "--full: a full read" "$(cat "$T/err")" "directory read in full: --full"

# killed before the change is made: every create is answered 503 with
# Retry-After: 60 without being made, so the agent waits with its first
# create journaled and unanswered.  The mirror and its cookie are written
# after the plan is sent (README: a first sync's first create does not
# wait for them): the killed run leaves the old pair, and the next run
# reads again from the old cookie.
gen_users 1 Sales 11 | slapd_add "$T/ldap"
cookie_before=$(sqlite3 "$T/state.db" "SELECT value FROM meta WHERE key = 'sync_cookie'")
fake_faults '{"faults":[{"path":"/v3/accounts/user/create","status":503,"retry_after":60,"count":100}]}' >/dev/null
creates_before=$(fake_request_count POST /v3/accounts/user/create)
agent_bg -c "$T/agent.ini" sync
wait_for 60 creates_above "$creates_before"
check_eq "before the kill: the mirror does not hold the new entry yet" \
    "$(sqlite3 "$T/state.db" "SELECT count(*) FROM directory_entry WHERE email = 'user00011@example.com'")" 0
check_eq "before the kill: the cookie is still the old one" \
    "$(sqlite3 "$T/state.db" "SELECT value FROM meta WHERE key = 'sync_cookie'")" "$cookie_before"
check_eq "before the kill: iMocha made nothing" "$(field user00011 createCount)" ""
kill -9 "$AGENT_PID" 2>/dev/null
wait "$AGENT_PID" 2>/dev/null
AGENT_PID=
fake_post /_fake/reset '{}' >/dev/null 2>&1
# the reset dropped the fake's users: put back those the agent made
fake_post /_fake/users "$(sqlite3 "$T/state.db" "SELECT json_object('users', json_group_array(json_object('email', email, 'fullName', full_name, 'businessunitId', bu_id, 'status', status))) FROM imocha_user")" >/dev/null
sync_ok
check_eq "the next run makes the change the killed one did not" \
    "$(field user00011 createCount)" 1
check_eq "the killed run's create is settled, not left pending" \
    "$(sqlite3 "$T/state.db" "SELECT count(*) FROM journal WHERE state = 'intended'")" 0
check_eq "... and the mirror holds the new entry now" \
    "$(sqlite3 "$T/state.db" "SELECT count(*) FROM directory_entry WHERE email = 'user00011@example.com'")" 1
check "... with a new cookie saved with it" \
    [ "$(sqlite3 "$T/state.db" "SELECT value FROM meta WHERE key = 'sync_cookie'")" != "$cookie_before" ]

# killed mid-apply: nothing repeated, nothing lost
fake_stop "$T/fake"
fake_start "$T/fake2" --bu 1:Engineering --bu 2:Sales --bu 3:Support --latency-ms 300 ||
    { not_ok "slow fake starts"; t_done; }
fake_post /_fake/users "$(sqlite3 "$T/state.db" "SELECT json_object('users', json_group_array(json_object('email', email, 'fullName', full_name, 'businessunitId', bu_id, 'status', status))) FROM imocha_user")" >/dev/null
CFG_IMOCHA_EXTRA="max_in_flight = 1" write_config "$T/agent.ini"
gen_users 12 Sales 20 | slapd_add "$T/ldap"
agent_bg -c "$T/agent.ini" sync
writes_before=$(fake_write_count)
wait_for 60 writes_at_least $((writes_before + 3))
kill -9 "$AGENT_PID" 2>/dev/null
check "killed mid-apply: the kill came before the last create" \
    [ "$(($(fake_write_count) - writes_before))" -lt 12 ]
wait "$AGENT_PID" 2>/dev/null
AGENT_PID=
sync_ok
check_eq "killed mid-apply: every new user exists once" \
    "$(fake_get /_fake/users | /usr/bin/python3 -c 'import json,sys; u=[x for x in json.load(sys.stdin)["users"] if x["email"].startswith("user0002") or x["email"].startswith("user0003")]; print(len(u), sorted({x["createCount"] for x in u}))')" \
    "12 [1]"
check_eq "killed mid-apply: nothing left pending" \
    "$(sqlite3 "$T/state.db" "SELECT count(*) FROM journal WHERE state='intended'")" 0

# The fixed cost of a run: a one-shot run that binds simply has Cyrus SASL
# load none of its plugins (6 ms); the daemon loads them, since a reload
# may turn SASL on.  The dynamic loader says what it loads.
sasl_plugins_loaded() { grep -c 'calling init: .*/sasl2/lib' "$1"; }
LD_DEBUG=files run_agent -c "$T/agent.ini" sync
check_eq "a one-shot simple-bind run: exit 0" "$RC" 0
check "... the loader said what it loaded" grep -q 'calling init: .*/libldap' "$T/err"
check_eq "... loads no SASL plugin" "$(sasl_plugins_loaded "$T/err")" 0
LD_DEBUG=files agent_bg -c "$T/agent.ini" daemon
check "the daemon: a pass" wait_for 60 grep -q "summary: read " "$T/bg.err"
agent_stop
check "... loads SASL's plugins" test "$(sasl_plugins_loaded "$T/bg.err")" -gt 0

# a server without syncprov
slapd_start "$T/plain" || { not_ok "plain slapd"; t_done; }
{ gen_ou Sales; gen_users 2 Sales 40; } | slapd_add "$T/plain"
CFG_STATE_FILE=$T/plain.db write_config "$T/plain.ini"
run_agent -c "$T/plain.ini" sync
run_agent -c "$T/plain.ini" sync
check_eq "no syncprov: still exit 0" "$RC" 0
check_contains "no syncprov: says it reads in full" "$(cat "$T/err")" \
    "offers no incremental reads"
CFG_LDAP_EXTRA="content_sync = yes" CFG_STATE_FILE=$T/plain.db write_config "$T/plain-yes.ini"
run_agent -c "$T/plain-yes.ini" sync
check_eq "no syncprov, content_sync = yes: exit 3" "$RC" 3
check_contains "no syncprov, content_sync = yes: names the key" "$(cat "$T/err")" \
    "content_sync = yes, but OpenLDAP"

# content_sync = no on a server that offers it: every read in full, paged
slapd_use "$T/ldap"
CFG_LDAP_EXTRA="$CFG_LDAP_EXTRA
content_sync = no" write_config "$T/nosync.ini"
gen_users 1 Sales 45 | slapd_add "$T/ldap"
run_agent -c "$T/nosync.ini" sync
check_eq "content_sync = no: exit 0" "$RC" 0
check_contains "content_sync = no: a full read, saying why" "$(cat "$T/err")" \
    "directory read in full: content_sync = no"
check_eq "content_sync = no: the change is still made" "$(field user00045 createCount)" 1
check_eq "content_sync = no: no cookie is kept" \
    "$(sqlite3 "$T/state.db" "SELECT count(*) FROM meta WHERE key = 'sync_cookie' AND value IS NOT NULL")" 0
t_done
