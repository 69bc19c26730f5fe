#!/bin/sh
# ldap_liar: the lying LDAP proxy (tests/lib/ldap_liar.py, liar.sh) in
# front of a real slapd with syncprov, driven by ldapsearch.  With no lie
# it answers byte for byte what slapd answers; each lie changes exactly
# what it should, and is logged only when really told.  result=N changes a
# search's result code, the rest of the answer kept; range_member=N hands
# out a group's member values in chunks, as Active Directory does.
. "$L2I_TOP/tests/lib/common.sh"
. "$L2I_TOP/tests/lib/slapd.sh"
. "$L2I_TOP/tests/lib/liar.sh"
t_setup
SLAPD_SYNCPROV=1 slapd_start "$T/ldap" || skip_all "slapd could not start"
P=ou=Eng,ou=People,$SLAPD_SUFFIX
{ gen_ou Eng; gen_users 4 Eng; } | slapd_add "$T/ldap" ||
    { not_ok "directory loads"; t_done; }
liar_start "$T/liar" "$SLAPD_URI" || { not_ok "the liar starts"; t_done; }
L=$T/liar

# search URI ARGS...: ldapsearch as the agent below ou=People, bounded.
search() {
	_s_uri=$1
	shift
	timeout -k 2 10 ldapsearch -x -H "$_s_uri" -o nettimeout=5 \
	    -o ldif-wrap=no -D "$SLAPD_AGENT_DN" -y "$SLAPD_DIR/agentpw" \
	    -b "ou=People,$SLAPD_SUFFIX" "$@"
}
# refresh URI [COOKIE] [ATTRS...]: a refreshOnly content-sync search for
# the users (critical control).
refresh() {
	_r_uri=$1
	_r_cookie=${2:-}
	shift
	[ $# -gt 0 ] && shift
	search "$_r_uri" -E "!sync=ro${_r_cookie:+/$_r_cookie}" \
	    '(objectClass=inetOrgPerson)' "$@"
}
cookie_of() { sed -n 's/^# cookie: //p' "$1" | tail -n 1; }
dns_of() { grep -c '^dn: ' "$1"; }
# done_value FILE: the Sync Done control value of FILE's search result,
# decoded here rather than trusting ldapsearch: "cookie=C deletes=X" with
# X the BOOLEAN as sent (TRUE/FALSE) or "absent" (default FALSE).
done_value() {
	"$L2I_PY" - "$1" <<'EOF'
import base64, sys
v = None
for line in open(sys.argv[1]):
    if line.startswith("control: 1.3.6.1.4.1.4203.1.9.1.3 "):
        v = base64.b64decode(line.split()[3])
if v is None:
    sys.exit("no Sync Done control")
assert v[0] == 0x30 and v[1] == len(v) - 2, v
pos, cookie, deletes = 2, "-", "absent"
while pos < len(v):
    tag, n = v[pos], v[pos + 1]
    val = v[pos + 2:pos + 2 + n]
    if tag == 0x04:
        cookie = val.decode()
    elif tag == 0x01:
        deletes = "TRUE" if val[0] else "FALSE"
    pos += 2 + n
print("cookie=%s deletes=%s" % (cookie, deletes))
EOF
}
told() { liar_told "$L" "$1"; }

# --- faithful -------------------------------------------------------------
refresh "$SLAPD_URI" "" uid entryUUID >"$T/direct0" 2>&1
refresh "$LIAR_URI" "" uid entryUUID >"$T/liar0" 2>&1
check_eq "faithful: the refresh has the 4 users" "$(dns_of "$T/liar0")" 4
check "faithful: a refresh through the liar is byte for byte slapd's" \
    cmp "$T/direct0" "$T/liar0"
search "$SLAPD_URI" -E pr=2/noprompt "(objectClass=inetOrgPerson)" uid >"$T/pdirect" 2>&1
search "$LIAR_URI" -E pr=2/noprompt "(objectClass=inetOrgPerson)" uid >"$T/pliar" 2>&1
check "faithful: a paged search through the liar is slapd's" \
    cmp "$T/pdirect" "$T/pliar"
# Lies armed that have nothing to lie about: every message is parsed and
# re-framed, none may change.
liar_set "$L" "drop_deletes, report_nothing sync_only drop_after=100"
refresh "$LIAR_URI" "" uid entryUUID >"$T/liar0b" 2>&1
check "armed but idle lies: the refresh is still byte for byte slapd's" \
    cmp "$T/direct0" "$T/liar0b"
check_eq "faithful: no lie logged" "$(wc -l <"$L/log")" 0

c0=$(cookie_of "$T/direct0")
check "the first refresh ends with a cookie" test -n "$c0"
uuid2=$(search "$SLAPD_URI" -LLL '(uid=user00002)' entryUUID |
    sed -n 's/^entryUUID: //p')

# Changes after c0: user00001 modified, user00002 deleted.
slapd_modify "$T/ldap" <<EOF
dn: uid=user00001,$P
changetype: modify
replace: description
description: edited
EOF
slapd_delete "$T/ldap" "uid=user00002,$P"
liar_set "$L" ""
refresh "$SLAPD_URI" "$c0" uid entryUUID entryCSN description >"$T/direct1" 2>&1
refresh "$LIAR_URI" "$c0" uid entryUUID entryCSN description >"$T/liar1" 2>&1
check "faithful: an incremental refresh is slapd's" cmp "$T/direct1" "$T/liar1"
check_contains "slapd reports the modified entry with its entryUUID" \
    "$(cat "$T/direct1")" "entryUUID: "
check_contains "slapd reports the deleted entry's UUID" \
    "$(cat "$T/direct1")" "$uuid2"
check_eq "slapd's incremental Sync Done says refreshDeletes TRUE" \
    "$(done_value "$T/direct1")" "cookie=$(cookie_of "$T/direct1") deletes=TRUE"

# --- strip_operational ------------------------------------------------------
liar_set "$L" strip_operational
refresh "$LIAR_URI" "$c0" uid entryUUID entryCSN description >"$T/strip" 2>&1
check_eq "strip_operational: entryUUID and entryCSN gone, nothing else" \
    "$(cat "$T/strip")" "$(grep -v '^entryUUID: \|^entryCSN: ' "$T/direct1")"
check_contains "strip_operational: the changed entry is still sent" \
    "$(cat "$T/strip")" "description: edited"
check_eq "strip_operational: the lie is logged once, for the changed entry" \
    "$(grep '^strip_operational' "$L/log")" \
    "strip_operational uid=user00001,$P entryUUID,entryCSN"

# --- refresh_deletes_false ----------------------------------------------------
liar_set "$L" refresh_deletes_false
refresh "$LIAR_URI" "$c0" uid entryUUID entryCSN description >"$T/rdf" 2>&1
check_contains "refresh_deletes_false: ldapsearch reads refreshDeletes=0" \
    "$(cat "$T/rdf")" "# SyncDone control refreshDeletes=0"
check_eq "refresh_deletes_false: the BOOLEAN is omitted, the cookie kept" \
    "$(done_value "$T/rdf")" "cookie=$(cookie_of "$T/direct1") deletes=absent"
check_contains "refresh_deletes_false: the delete idset still passes" \
    "$(cat "$T/rdf")" "$uuid2"
check_eq "refresh_deletes_false: only the Sync Done changed" \
    "$(grep -v '^control: 1.3.6.1.4.1.4203.1.9.1.3 \|^# SyncDone' "$T/rdf")" \
    "$(grep -v '^control: 1.3.6.1.4.1.4203.1.9.1.3 \|^# SyncDone' "$T/direct1")"
check_eq "refresh_deletes_false: logged" "$(told refresh_deletes_false)" 1

# --- drop_deletes -----------------------------------------------------------
liar_set "$L" drop_deletes
refresh "$LIAR_URI" "$c0" uid entryUUID entryCSN description >"$T/dd" 2>&1
check "drop_deletes: the deleted entry's UUID is not reported" \
    test "$(grep -c "$uuid2" "$T/dd")" -eq 0
check_contains "drop_deletes: the modified entry still is" \
    "$(cat "$T/dd")" "dn: uid=user00001,$P"
check_eq "drop_deletes: the final cookie is slapd's" \
    "$(cookie_of "$T/dd")" "$(cookie_of "$T/direct1")"
check_eq "drop_deletes: logged with the UUID" "$(grep '^drop_deletes' "$L/log")" \
    "drop_deletes 1 $uuid2"

# --- report_nothing ---------------------------------------------------------
liar_set "$L" report_nothing
refresh "$LIAR_URI" "$c0" uid entryUUID >"$T/rn" 2>&1
check_eq "report_nothing: no entry after a cookie" "$(dns_of "$T/rn")" 0
check "report_nothing: no Sync Info either" \
    test "$(grep -c 'SyncInfo\|syncUUIDs' "$T/rn")" -eq 0
check_eq "report_nothing: still slapd's new cookie" \
    "$(cookie_of "$T/rn")" "$(cookie_of "$T/direct1")"
check_contains "report_nothing: and success" "$(cat "$T/rn")" "result: 0 Success"
check_eq "report_nothing: logged, with the 2 messages dropped" \
    "$(grep '^report_nothing' "$L/log")" "report_nothing 2"
refresh "$LIAR_URI" "" uid >"$T/rn0" 2>&1
check_eq "report_nothing: a refresh without a cookie is left alone" \
    "$(dns_of "$T/rn0")" 3
check_eq "report_nothing: and that is not logged" "$(told report_nothing)" 1

# --- result=N ---------------------------------------------------------------
# result_of FILE: the search's result line; all_but_result FILE: the rest.
result_of() { grep '^result: ' "$1"; }
all_but_result() { grep -v '^result: \|^ref: ' "$1"; }
liar_set "$L" result=4
rc=0
refresh "$LIAR_URI" "$c0" uid entryUUID entryCSN description >"$T/r4" 2>&1 || rc=$?
check_eq "result=4: the sync search ends with Size limit exceeded" \
    "$rc $(result_of "$T/r4")" "4 result: 4 Size limit exceeded"
check_eq "result=4: and slapd said success" \
    "$(result_of "$T/direct1")" "result: 0 Success"
check_eq "result=4: every other line is slapd's" \
    "$(all_but_result "$T/r4")" "$(all_but_result "$T/direct1")"
check_eq "result=4: the Sync Done control and its cookie are kept" \
    "$(done_value "$T/r4")" "$(done_value "$T/direct1")"
check_eq "result=4: logged once" "$(grep '^result' "$L/log")" "result 4"
rc=0
search "$LIAR_URI" -E pr=2/noprompt "(objectClass=inetOrgPerson)" uid >"$T/r4p" 2>&1 || rc=$?
search "$SLAPD_URI" -E pr=2/noprompt "(objectClass=inetOrgPerson)" uid >"$T/r4pd" 2>&1
check "result=4 alone: a search without the Sync Request control is slapd's" \
    cmp "$T/r4pd" "$T/r4p"
check_eq "result=4 alone: and not logged" "$rc $(told result)" "0 1"

liar_set "$L" result=10
rc=0
refresh "$LIAR_URI" "" uid >"$T/r10" 2>&1 || rc=$?
refresh "$SLAPD_URI" "" uid >"$T/r10d" 2>&1
check_eq "result=10: a referral, to the default URL" \
    "$rc $(result_of "$T/r10") $(grep '^ref: ' "$T/r10")" \
    "10 result: 10 Referral ref: ldap://elsewhere.example.com/ou=People,dc=example,dc=com"
check_eq "result=10: every other line is slapd's" \
    "$(all_but_result "$T/r10")" "$(all_but_result "$T/r10d")"
liar_set "$L" "result=10,ldap://other.example.com/ou=Sales,dc=example,dc=com"
refresh "$LIAR_URI" "" uid >"$T/r10u" 2>&1
check_eq "result=10,URL: the URL given, commas and all" \
    "$(result_of "$T/r10u") $(grep '^ref: ' "$T/r10u")" \
    "result: 10 Referral ref: ldap://other.example.com/ou=Sales,dc=example,dc=com"
check_eq "result=10: logged per rewrite" "$(grep -c '^result 10$' "$L/log")" 2

liar_set "$L" "result=3 any_search"
rc=0
search "$LIAR_URI" -E pr=2/noprompt "(objectClass=inetOrgPerson)" uid >"$T/r3p" 2>&1 || rc=$?
check_eq "result=3 any_search: a paged search ends with Time limit exceeded" \
    "$rc $(result_of "$T/r3p")" "3 result: 3 Time limit exceeded"
check_eq "result=3 any_search: after its first page, as slapd sent it" \
    "$(dns_of "$T/r3p") $(grep -c '^pagedresults: cookie=.' "$T/r3p")" "2 1"
liar_set "$L" "result=3 any_search result_filter=organizationalUnit"
rc=0
search "$LIAR_URI" -E pr=2/noprompt "(objectClass=inetOrgPerson)" uid >"$T/r3f" 2>&1 || rc=$?
search "$SLAPD_URI" -E pr=2/noprompt "(objectClass=inetOrgPerson)" uid >"$T/r3fd" 2>&1
check "result_filter: a search whose filter does not hold the text is slapd's" \
    cmp "$T/r3fd" "$T/r3f"
search "$LIAR_URI" -E pr=2/noprompt "(objectClass=OrganizationalUnit)" ou >"$T/r3o" 2>&1 || rc=$?
check_eq "result_filter: one that does is rewritten, whatever the case" \
    "$rc $(result_of "$T/r3o")" "3 result: 3 Time limit exceeded"
check_eq "result_filter: logged only for that one" "$(grep -c '^result 3$' "$L/log")" 2
liar_set "$L" "result=3,any_search refresh_deletes_false"
rc=0
refresh "$LIAR_URI" "$c0" uid entryUUID entryCSN description >"$T/r3s" 2>&1 || rc=$?
check_eq "result=3 with refresh_deletes_false: both lies in one message" \
    "$rc $(result_of "$T/r3s") $(done_value "$T/r3s")" \
    "3 result: 3 Time limit exceeded cookie=$(cookie_of "$T/direct1") deletes=absent"
check_eq "result=3: logged per rewrite" "$(grep -c '^result 3$' "$L/log")" 3
liar_set "$L" ""
rc=0
refresh "$LIAR_URI" "$c0" uid entryUUID entryCSN description >"$T/r0" 2>&1 || rc=$?
check "without the word: slapd's answer again, byte for byte" cmp "$T/direct1" "$T/r0"
check_eq "without the word: nothing more logged" "$rc $(told result)" "0 6"

# --- drop_after -------------------------------------------------------------
liar_set "$L" drop_after=2
rc=0
search "$LIAR_URI" -E pr=1/noprompt "(objectClass=inetOrgPerson)" uid >"$T/da" 2>&1 || rc=$?
check "drop_after=2: the paged search fails" test "$rc" -ne 0 -a "$rc" -ne 124
check_eq "drop_after=2: after exactly 2 entries" "$(dns_of "$T/da")" 2
check_contains "drop_after=2: the connection is gone" "$(cat "$T/da")" \
    "Can't contact LDAP server"
check_eq "drop_after: logged" "$(told drop_after)" 1
liar_set "$L" "drop_after=2 sync_only"
rc=0
search "$LIAR_URI" -E pr=1/noprompt "(objectClass=inetOrgPerson)" uid >"$T/das" 2>&1 || rc=$?
check_eq "drop_after=2 sync_only: a paged search goes through" \
    "$rc $(dns_of "$T/das")" "0 3"
rc=0
refresh "$LIAR_URI" "" uid >"$T/das2" 2>&1 || rc=$?
check_eq "drop_after=2 sync_only: a sync search is cut after 2" \
    "$rc $(dns_of "$T/das2")" "255 2"

# --- stall_after --------------------------------------------------------------
liar_set "$L" stall_after=1
rc=0
timeout 2 ldapsearch -x -H "$LIAR_URI" -D "$SLAPD_AGENT_DN" \
    -y "$SLAPD_DIR/agentpw" -l 1 -b "ou=People,$SLAPD_SUFFIX" uid \
    >"$T/st" 2>&1 || rc=$?
check_eq "stall_after=1: the search hangs until killed" "$rc" 124
check_eq "stall_after=1: after 1 entry" "$(dns_of "$T/st")" 1
check_eq "stall_after: logged" "$(told stall_after)" 1
liar_threads() {
	sed -n 's/^Threads:[[:space:]]*//p' "/proc/$(cat "$L/pid")/status"
}
liar_idle() { [ "$(liar_threads)" = 1 ]; }
check "stall_after: the connection ends when the client goes" \
    wait_for 5 liar_idle

# --- present phase (session log lost in a restart) ----------------------------
c1=$(cookie_of "$T/direct1")
slapd_delete "$T/ldap" "uid=user00003,$P"
slapd_restart "$T/ldap" || { not_ok "slapd restarts"; t_done; }
liar_set "$L" ""
refresh "$LIAR_URI" "$c1" 1.1 >"$T/pres" 2>&1
check "after a restart slapd sends a present list" \
    test "$(grep -c "SyncInfo Received: ID Set" "$T/pres")" -eq 1
liar_set "$L" refresh_deletes_false
refresh "$LIAR_URI" "$c1" 1.1 >"$T/pres2" 2>&1
check "refresh_deletes_false: the present list is dropped" \
    test "$(grep -c "SyncInfo\|syncUUIDs" "$T/pres2")" -eq 0
check_eq "refresh_deletes_false: the present list's drop is logged" \
    "$(grep '^refresh_deletes_false present' "$L/log")" \
    "refresh_deletes_false present 2"
check_eq "refresh_deletes_false: and the search still succeeds with a cookie" \
    "$(grep -c '^result: 0 Success' "$T/pres2") $(cookie_of "$T/pres2" | cut -c1-4)" \
    "1 rid="

# --- pose_as_389 / pose_as_unknown (the root DSE) ---------------------------
# rootdse URI [ATTRS...]: the root DSE, read anonymously as the agent does
# (default: the attributes the agent asks for).
rootdse() {
	_d_uri=$1
	shift
	[ $# -gt 0 ] || set -- objectClass vendorName vendorVersion supportedControl
	timeout -k 2 10 ldapsearch -x -H "$_d_uri" -o nettimeout=5 \
	    -o ldif-wrap=no -b "" -s base "$@"
}
liar_set "$L" ""
rootdse "$SLAPD_URI" >"$T/dse_direct" 2>&1
rootdse "$LIAR_URI" >"$T/dse_liar" 2>&1
check "no pose: the root DSE through the liar is slapd's, byte for byte" \
    cmp "$T/dse_direct" "$T/dse_liar"
check_contains "slapd's root DSE says OpenLDAProotDSE" \
    "$(cat "$T/dse_direct")" "objectClass: OpenLDAProotDSE"
check_contains "slapd's root DSE lists the content-sync control" \
    "$(cat "$T/dse_direct")" "supportedControl: 1.3.6.1.4.1.4203.1.9.1.1"
check "slapd's root DSE has no vendorName" \
    test "$(grep -c '^vendor' "$T/dse_direct")" -eq 0
check_eq "no pose: nothing logged" "$(told pose_as_389) $(told pose_as_unknown)" "0 0"

liar_set "$L" pose_as_389
rootdse "$LIAR_URI" >"$T/dse389" 2>&1
check "pose_as_389: no OpenLDAProotDSE" \
    test "$(grep -ci 'OpenLDAProotDSE' "$T/dse389")" -eq 0
check_contains "pose_as_389: objectClass top is kept" \
    "$(cat "$T/dse389")" "objectClass: top"
check_contains "pose_as_389: vendorName 389 Project" \
    "$(cat "$T/dse389")" "vendorName: 389 Project"
check_contains "pose_as_389: vendorVersion 389-Directory" \
    "$(cat "$T/dse389")" "vendorVersion: 389-Directory/2.3.1 B2023.000.0000"
check_contains "pose_as_389: the content-sync control is still listed" \
    "$(cat "$T/dse389")" "supportedControl: 1.3.6.1.4.1.4203.1.9.1.1"
check_eq "pose_as_389: everything else is slapd's" \
    "$(grep -v '^vendorName: \|^vendorVersion: ' "$T/dse389")" \
    "$(grep -v '^objectClass: OpenLDAProotDSE$' "$T/dse_direct")"
check_eq "pose_as_389: logged once" "$(grep '^pose_as' "$L/log")" pose_as_389
rootdse "$LIAR_URI" supportedControl >"$T/dse389sc" 2>&1
rootdse "$SLAPD_URI" supportedControl >"$T/dse_directsc" 2>&1
check "pose_as_389: vendor attributes only when asked for" \
    cmp "$T/dse_directsc" "$T/dse389sc"
check_eq "pose_as_389: and an unchanged root DSE is not logged" \
    "$(told pose_as_389)" 1
rootdse "$LIAR_URI" "*" >"$T/dse389all" 2>&1
check_contains "pose_as_389: an all-attributes read gets vendorName too" \
    "$(cat "$T/dse389all")" "vendorName: 389 Project"
search "$LIAR_URI" "(objectClass=inetOrgPerson)" uid objectClass >"$T/dse389p" 2>&1
search "$SLAPD_URI" "(objectClass=inetOrgPerson)" uid objectClass >"$T/dse389pd" 2>&1
check "pose_as_389: other entries pass unchanged" cmp "$T/dse389pd" "$T/dse389p"
check_eq "pose_as_389: logged once per root DSE rewritten" \
    "$(told pose_as_389)" 2

liar_set "$L" pose_as_unknown
rootdse "$LIAR_URI" >"$T/dseunk" 2>&1
check "pose_as_unknown: no OpenLDAProotDSE, no vendor attribute" \
    test "$(grep -ci 'OpenLDAProotDSE\|^vendor' "$T/dseunk")" -eq 0
check_eq "pose_as_unknown: everything else is slapd's" \
    "$(cat "$T/dseunk")" \
    "$(grep -v '^objectClass: OpenLDAProotDSE$' "$T/dse_direct")"
check_eq "pose_as_unknown: logged" "$(told pose_as_unknown)" 1

# --- page_max (Active Directory's MaxPageSize) --------------------------------
# 25 users of their own, read with a page size of 2000: slapd gives one
# page; capped at 10, three pages (10, 10, 5) that ldapsearch follows.
{ gen_ou Pages; gen_users 25 Pages 101; } | slapd_add "$T/ldap" ||
    { not_ok "the page_max users load"; t_done; }
# pages FILE: "pages=N max=M entries=E" of a paged ldapsearch's output:
# one page per result ("search: N"), M the most entries a page held.
pages() {
	awk '/^dn: / { n++; e++ }
	    /^search: / { p++; if (n > m) m = n; n = 0 }
	    END { printf "pages=%d max=%d entries=%d\n", p, m, e }' "$1"
}
liar_set "$L" ""
search "$LIAR_URI" -E pr=2000/noprompt "(uid=user001*)" uid >"$T/pm0" 2>&1
check_eq "without page_max: one page of 25" "$(pages "$T/pm0")" \
    "pages=1 max=25 entries=25"
liar_set "$L" page_max=10
rc=0
search "$LIAR_URI" -E pr=2000/noprompt "(uid=user001*)" uid >"$T/pm" 2>&1 || rc=$?
check_eq "page_max=10: pages of at most 10, all 25 users" \
    "$rc $(pages "$T/pm")" "0 pages=3 max=10 entries=25"
check_eq "page_max=10: each page but the last with a cookie" \
    "$(grep -c '^pagedresults: cookie=.' "$T/pm") $(grep -c '^pagedresults: cookie=$' "$T/pm")" \
    "2 1"
check_contains "page_max=10: though the client asked for 2000" \
    "$(cat "$T/pm")" "pagedResults control: size=2000"
check_eq "page_max: logged once per request rewritten" \
    "$(grep '^page_max' "$L/log" | uniq -c | tr -s ' ')" " 3 page_max 10"
search "$LIAR_URI" -E pr=5/noprompt "(uid=user001*)" uid >"$T/pm5" 2>&1
search "$SLAPD_URI" -E pr=5/noprompt "(uid=user001*)" uid >"$T/pm5d" 2>&1
check "page_max=10: a paged search asking for 5 is slapd's, byte for byte" \
    cmp "$T/pm5d" "$T/pm5"
check_eq "page_max=10: and not logged" "$(told page_max)" 3

# --- refuse_sync (Samba AD DC) ----------------------------------------------------
# one_conn URI: on one connection, bind as the agent, a critical
# refreshOnly content-sync search (msgid 2) for the users, then a base read
# of user00101 (msgid 3); one line per message received, "MSGID WHAT
# [RESULTCODE]", until 1 s after the read ended.
one_conn() {
	timeout -k 2 10 "$L2I_PY" - "$1" "$SLAPD_AGENT_DN" \
	    "$(cat "$SLAPD_DIR/agentpw")" "ou=People,$SLAPD_SUFFIX" \
	    "uid=user00101,ou=Pages,ou=People,$SLAPD_SUFFIX" <<'EOF'
import socket, sys
def enc(tag, v):
    n = len(v)
    return bytes([tag]) + (bytes([n]) if n < 0x80 else b"\x82" + n.to_bytes(2, "big")) + v
def head(b):
    """(value start, value length) of the TLV at the start of b."""
    n = b[1]
    if n & 0x80:
        return 2 + (n & 0x7F), int.from_bytes(b[2:2 + (n & 0x7F)], "big")
    return 2, n
def search(base, scope):
    return enc(0x63, enc(0x04, base.encode()) + enc(0x0A, bytes([scope]))
               + enc(0x0A, b"\0") + enc(0x02, b"\0") + enc(0x02, b"\0")
               + enc(0x01, b"\0") + enc(0x87, b"objectClass")
               + enc(0x30, enc(0x04, b"1.1")))
uri, dn, pw, people, user = sys.argv[1:]
host, port = uri[len("ldap://"):].split(":")
sync = enc(0xA0, enc(0x30, enc(0x04, b"1.3.6.1.4.1.4203.1.9.1.1")
                     + enc(0x01, b"\xff") + enc(0x04, enc(0x30, enc(0x0A, b"\1")))))
names = {0x61: "bind", 0x64: "entry", 0x65: "done", 0x78: "extended",
         0x79: "intermediate"}
def messages(s):
    """Each message read, as a line: "MSGID WHAT [RESULTCODE]"."""
    buf = b""
    while True:
        data = s.recv(65536)
        if not data:
            yield "closed"
            return
        buf += data
        while len(buf) >= 2:
            h, n = head(buf)
            if len(buf) < h + n:
                break
            m, buf = buf[h:h + n], buf[h + n:]
            op = m[2 + m[1]:]       # after the messageID's TLV
            line = "%d %s" % (m[2], names.get(op[0], hex(op[0])))
            if op[0] in (0x61, 0x65, 0x78):
                line += " %d" % op[head(op)[0] + 2]     # the resultCode
            yield line
s = socket.create_connection((host, int(port)), timeout=5)
got = messages(s)
# No request while the bind is in progress (RFC 4511 4.2.1).
s.sendall(enc(0x30, enc(0x02, b"\1") + enc(0x60, enc(0x02, b"\3")
                                            + enc(0x04, dn.encode()) + enc(0x80, pw.encode()))))
print(next(got))
s.sendall(enc(0x30, enc(0x02, b"\2") + search(people, 2) + sync)
          + enc(0x30, enc(0x02, b"\3") + search(user, 0)))
try:
    for line in got:
        print(line)
        if line == "3 done 0":
            s.settimeout(1)
except socket.timeout:
    pass
EOF
}
search "$SLAPD_URI" "(uid=user0010*)" uid >"$T/rsd" 2>&1
for v in refuse_sync refuse_sync=done80 refuse_sync=protocol; do
	liar_set "$L" "$v"
	n0=$(told refuse_sync)
	rc=0
	timeout 3 ldapsearch -x -H "$LIAR_URI" -o nettimeout=5 -o ldif-wrap=no \
	    -D "$SLAPD_AGENT_DN" -y "$SLAPD_DIR/agentpw" \
	    -b "ou=People,$SLAPD_SUFFIX" -E '!sync=ro' "(uid=user0010*)" uid \
	    >"$T/rs" 2>&1 || rc=$?
	case $v in
	refuse_sync)
		check_eq "$v: ldapsearch reads an extended response, then hangs" \
		    "$rc $(grep -c '^# extended result response$' "$T/rs")" "124 1"
		check_contains "$v: with result 12 and the text" "$(cat "$T/rs")" \
		    "result: 12 Critical extension is unavailable
text: ldap_liar: the content-sync control is not supported here"
		check_eq "$v: logged" "$(tail -n 1 "$L/log")" refuse_sync
		want="1 bind 0|2 extended 12|3 entry|3 done 0"
		;;
	refuse_sync=done80)
		check_eq "$v: the sync search fails with result 80, at once" \
		    "$rc $(grep '^result: ' "$T/rs")" \
		    "80 result: 80 Other (e.g., implementation specific) error"
		check_eq "$v: logged" "$(tail -n 1 "$L/log")" "refuse_sync done80"
		want="1 bind 0|2 done 80|3 entry|3 done 0"
		;;
	refuse_sync=protocol)
		check_eq "$v: the sync search fails with protocolError, at once" \
		    "$rc $(grep '^result: ' "$T/rs")" "2 result: 2 Protocol error"
		check_eq "$v: logged" "$(tail -n 1 "$L/log")" "refuse_sync protocol"
		want="1 bind 0|2 done 2|3 entry|3 done 0"
		;;
	esac
	check "$v: no entry reached the client" test "$(dns_of "$T/rs")" -eq 0
	check_eq "$v: on one connection, the refusal alone, then a read works" \
	    "$(one_conn "$LIAR_URI" | paste -sd '|')" "$want"
	check_eq "$v: one refusal logged per sync search" \
	    "$(told refuse_sync)" "$((n0 + 2))"
	search "$LIAR_URI" "(uid=user0010*)" uid >"$T/rsp" 2>&1
	check "$v: a search without the control is slapd's, byte for byte" \
	    cmp "$T/rsd" "$T/rsp"
	check_eq "$v: and not refused" "$(told refuse_sync)" "$((n0 + 2))"
done

# --- range_member (Active Directory's MaxValRange) --------------------------------
# Two groups of the Pages users: big (7 members, user00101..107) and small
# (2, user00108 and 109); with range_member=3, big's members come in
# chunks of 3 at most, as AD's ranged retrieval gives them.
G=ou=Groups,ou=People,$SLAPD_SUFFIX
U=ou=Pages,ou=People,$SLAPD_SUFFIX
{ gen_ou Groups
  printf 'dn: cn=big,%s\nobjectClass: groupOfNames\ncn: big\n' "$G"
  for i in 1 2 3 4 5 6 7; do printf 'member: uid=user0010%d,%s\n' "$i" "$U"; done
  printf '\ndn: cn=small,%s\nobjectClass: groupOfNames\ncn: small\n' "$G"
  printf 'member: uid=user0010%d,%s\n' 8 "$U" 9 "$U"
  echo; } | slapd_add "$T/ldap" || { not_ok "the range_member groups load"; t_done; }
# members FILE: the values of FILE's member attributes, ranged or not, in
# the order received; member_names FILE: "COUNT NAME" per run of lines of
# one member attribute description, space separated.
members() { sed -n 's/^member\(;[^:]*\)\{0,1\}: //p' "$1"; }
member_names() {
	sed -n 's/^\(member[^:]*\): .*/\1/p' "$1" | uniq -c |
	    awk '{ print $1, $2 }' | paste -sd ' ' -
}
liar_set "$L" ""
search "$SLAPD_URI" "(cn=big)" member >"$T/rmd" 2>&1
check_eq "slapd's big group has 7 members, as plain member" \
    "$(member_names "$T/rmd")" "7 member"
liar_set "$L" range_member=3
search "$LIAR_URI" "(cn=big)" member >"$T/rm0" 2>&1
check_eq "range_member=3: a plain read gives member;range=0-2, 3 values" \
    "$(member_names "$T/rm0")" "3 member;range=0-2"
check_eq "range_member=3: and no plain member alongside" \
    "$(grep -ci '^member:' "$T/rm0")" 0
check_eq "range_member=3: the first 3 values, in slapd's order" \
    "$(members "$T/rm0")" "$(members "$T/rmd" | head -n 3)"
search "$SLAPD_URI" "(cn=big)" >"$T/rmdall" 2>&1
search "$LIAR_URI" "(cn=big)" >"$T/rmall" 2>&1
check_eq "range_member=3: with no attribute list too, the rest slapd's" \
    "$(member_names "$T/rmall") | $(grep -v '^member' "$T/rmall")" \
    "3 member;range=0-2 | $(grep -v '^member' "$T/rmdall")"
search "$LIAR_URI" "(cn=big)" "*" >"$T/rmstar" 2>&1
check_eq "range_member=3: and with \"*\"" "$(member_names "$T/rmstar")" \
    "3 member;range=0-2"
search "$LIAR_URI" "(cn=big)" "member;range=3-*" >"$T/rm3" 2>&1
check_eq "range_member=3: asking member;range=3-* gives member;range=3-5" \
    "$(member_names "$T/rm3")" "3 member;range=3-5"
search "$LIAR_URI" "(cn=big)" "member;range=6-*" >"$T/rm6" 2>&1
check_eq "range_member=3: asking member;range=6-* gives member;range=6-*, 1 value" \
    "$(member_names "$T/rm6")" "1 member;range=6-*"
cat "$T/rm0" "$T/rm3" "$T/rm6" >"$T/rmchunks"
check_eq "range_member=3: the chunks hold slapd's 7 members, in its order" \
    "$(members "$T/rmchunks")" "$(members "$T/rmd")"
check_eq "range_member=3: each of the 7 once" \
    "$(members "$T/rmchunks" | sort | uniq -d | wc -l) $(members "$T/rmchunks" | sort -u | wc -l)" \
    "0 7"
search "$LIAR_URI" "(cn=big)" "MEMBER;RANGE=2-3" >"$T/rm23" 2>&1
check_eq "range_member=3: a range of any case, its high bound kept" \
    "$(member_names "$T/rm23") $(members "$T/rm23" | paste -sd ' ' -)" \
    "2 member;range=2-3 $(members "$T/rmd" | sed -n 3,4p | paste -sd ' ' -)"
search "$LIAR_URI" "(cn=big)" "member;range=1-100" >"$T/rm1" 2>&1
check_eq "range_member=3: a range wider than 3 is cut to 3" \
    "$(member_names "$T/rm1")" "3 member;range=1-3"
search "$LIAR_URI" "(cn=big)" cn "member;range=9-*" >"$T/rm9" 2>&1
check_eq "range_member=3: a range past the last value: no value, the entry sent" \
    "$(grep -c '^member' "$T/rm9") $(grep -c '^cn: big$' "$T/rm9")" "0 1"
search "$SLAPD_URI" "(cn=small)" member >"$T/rmsd" 2>&1
search "$LIAR_URI" "(cn=small)" member >"$T/rms" 2>&1
check_eq "range_member=3: the small group has 2 members" \
    "$(member_names "$T/rms")" "2 member"
check "range_member=3: and passes unchanged, byte for byte" \
    cmp "$T/rmsd" "$T/rms"
search "$LIAR_URI" "(cn=small)" "member;range=0-*" >"$T/rms0" 2>&1
check_eq "range_member=3: asked by range, 2 members are member;range=0-*" \
    "$(member_names "$T/rms0")" "2 member;range=0-*"
search "$SLAPD_URI" "(|(cn=small)(uid=user0010*))" >"$T/rmod" 2>&1
search "$LIAR_URI" "(|(cn=small)(uid=user0010*))" >"$T/rmo" 2>&1
check "range_member=3: users and small groups pass unchanged, byte for byte" \
    cmp "$T/rmod" "$T/rmo"
check_eq "range_member: one log line per entry rewritten, with its range" \
    "$(grep '^range_member' "$L/log")" "range_member cn=big,$G 0-2
range_member cn=big,$G 0-2
range_member cn=big,$G 0-2
range_member cn=big,$G 3-5
range_member cn=big,$G 6-*
range_member cn=big,$G 2-3
range_member cn=big,$G 1-3
range_member cn=big,$G 9-*
range_member cn=small,$G 0-*"
liar_set "$L" ""
search "$LIAR_URI" "(cn=big)" member >"$T/rmoff" 2>&1
check "without range_member: the big group is slapd's, byte for byte" \
    cmp "$T/rmd" "$T/rmoff"

# --- back to the truth ----------------------------------------------------------
liar_set "$L" ""
refresh "$SLAPD_URI" "" uid entryUUID >"$T/direct9" 2>&1
refresh "$LIAR_URI" "" uid entryUUID >"$T/liar9" 2>&1
check "faithful again: slapd's answer, byte for byte" cmp "$T/direct9" "$T/liar9"
check_eq "the liar never complained" "$(cat "$L/stderr")" ""
liar_stop "$L"
check "liar_stop stops it" test ! -e "$L/pid"
t_done
