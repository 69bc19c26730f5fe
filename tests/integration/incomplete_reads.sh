#!/bin/sh
# incomplete_reads: "a read of the directory that failed or was incomplete
# (size limit, time limit, referral result, dropped connection, a server
# that stops answering, on a paged read or an incremental one alike)
# changes nothing" (SPEC.md, Trust).  The lying proxy
# (tests/lib/ldap_liar.py) in front of a real slapd with syncprov turns the
# result of a search into size limit exceeded (4), time limit exceeded (3)
# or a referral (10), every entry and the Sync Done cookie kept as slapd
# sent them.  Each time slapd really changed (one user deleted, one added),
# so a read wrongly taken as whole would deactivate one user and create
# another: the run must exit 3, send nothing to iMocha, keep the stored
# cookie, and record itself with exit status 3; once the lie stops the
# next run applies both changes.  The incremental read is lied to on its
# content-sync search only (result=N).  The paged full read (content_sync
# = no, sync --full) is lied to on every search (result=N any_search): the
# first is the OU read, on a connection of its own; then on the user read
# alone (result_filter=inetOrgPerson), the OU read and the root DSE read
# answered truly.  Dropped connections and a server that stops answering
# are in trust.sh and ldap_midread.sh.
. "$L2I_TOP/tests/lib/common.sh"
. "$L2I_TOP/tests/lib/slapd.sh"
. "$L2I_TOP/tests/lib/liar.sh"
require_cmd sqlite3 sqlite3
t_setup
liar_rig 9 3
CFG_URI=$LIAR_URI CFG_LDAP_EXTRA="content_sync = no" write_config "$T/paged.ini"

field() { fake_user_field "$1@example.com" "$2"; }
cookie() { sqlite3 "$T/state.db" "SELECT value FROM meta WHERE key='sync_cookie'"; }
runs() { sqlite3 "$T/state.db" "SELECT count(*) FROM run"; }
last_run() { sqlite3 "$T/state.db" "SELECT command, exit_status FROM run ORDER BY id DESC LIMIT 1"; }
# mirror: the agent's copy of the directory, every row.
mirror() { sqlite3 "$T/state.db" "SELECT * FROM directory_entry ORDER BY 1"; }
code_name() {
	case $1 in
	3) echo "Time limit exceeded" ;;
	4) echo "Size limit exceeded" ;;
	10) echo "Referral" ;;
	esac
}

run_agent -c "$T/agent.ini" sync
check_eq "first run: exit 0" "$RC" 0
check_eq "first run creates the 12 users" "$(fake_users_emails | wc -l)" 12
# An audit must see the server report a user change before its
# incremental reads are used (SPEC.md, Trust).
slapd_earn_trust "$T/ldap" "uid=user00012,ou=Sales,$P" "$T/agent.ini"
check_contains "an audit trusts the server" "$(cat "$T/err")" "they are trusted from now on"
run_agent -c "$T/agent.ini" sync
check_eq "second run: exit 0" "$RC" 0
check_contains "the second run reads incrementally" "$(cat "$T/err")" \
    "directory read incremental"
check "and has a cookie stored" test -n "$(cookie)"

# change N_DELETE N_ADD: slapd really changes: user N_DELETE (Engineering,
# 1 to 9) leaves, user N_ADD (100 to 999) joins Sales.
change() {
	slapd_delete "$T/ldap" "uid=user0000$1,ou=Engineering,$P" &&
	    gen_users 1 Sales "$2" | slapd_add "$T/ldap" ||
	    not_ok "slapd: user0000$1 leaves, user00$2 joins"
}

# lied_to NAME CODE WORDS CONFIG ARGS...: the run under the lie WORDS
# changes nothing; exit 3, the lie told, the read said incomplete.
lied_to() {
	_l_name=$1 _l_code=$2 _l_words=$3 _l_cfg=$4
	shift 4
	_l_writes=$(fake_write_count)
	_l_cookie=$(cookie)
	_l_runs=$(runs)
	_l_told=$(liar_told "$T/liar" result)
	_l_mirror=$(mirror)
	liar_set "$T/liar" "$_l_words"
	run_agent -c "$_l_cfg" sync "$@"
	liar_set "$T/liar" ""
	check_eq "$_l_name: exit 3" "$RC" 3 || diag "$(tail -n 8 "$T/err")"
	check "$_l_name: the lie was told" \
	    test "$(liar_told "$T/liar" result)" -gt "$_l_told"
	check_eq "$_l_name: it was result $_l_code" \
	    "$(tail -n 1 "$T/liar/log")" "result $_l_code"
	check_contains "$_l_name: the read is said incomplete" "$(cat "$T/err")" \
	    "the read is incomplete, nothing will be changed"
	check_contains "$_l_name: naming the result" "$(cat "$T/err")" \
	    "ended with $_l_code ($(code_name "$_l_code"))"
	check_eq "$_l_name: nothing sent to iMocha" "$(fake_write_count)" "$_l_writes"
	check_eq "$_l_name: the stored cookie is kept" "$(cookie)" "$_l_cookie"
	check_eq "$_l_name: the mirror is kept" "$(mirror)" "$_l_mirror"
	check_eq "$_l_name: the run is recorded, exit status 3" \
	    "$(($(runs) - _l_runs)) $(last_run)" "1 sync|3"
}

# applied NAME CONFIG N_DELETE N_ADD ARGS...: with the lie gone, the next
# run applies both changes (so the checks above could fail).
applied() {
	_a_name=$1 _a_cfg=$2 _a_del=$3 _a_add=$4
	shift 4
	_a_writes=$(fake_write_count)
	run_agent -c "$_a_cfg" sync "$@"
	check_eq "$_a_name, the truth again: exit 0" "$RC" 0 || diag "$(tail -n 8 "$T/err")"
	check_eq "$_a_name, the truth again: user0000$_a_del deactivated" \
	    "$(field "user0000$_a_del" status)" Inactive
	check_eq "$_a_name, the truth again: user00$_a_add created once" \
	    "$(field "user00$_a_add" createCount)" 1
	check "$_a_name, the truth again: so iMocha was written to" \
	    test "$(fake_write_count)" -ge $((_a_writes + 2))
}

# --- an incremental read (content sync) that ends with an error ----------------
del=1 add=101
for code in 4 3 10; do
	name="incremental, result $code"
	change "$del" "$add"
	c=$(cookie)
	lied_to "$name" "$code" "result=$code" "$T/agent.ini"
	applied "$name" "$T/agent.ini" "$del" "$add"
	check_contains "$name, the truth again: an incremental read" "$(cat "$T/err")" \
	    "directory read incremental"
	check "$name, the truth again: the cookie moves on" test "$(cookie)" != "$c"
	check_eq "$name, the truth again: the others stay active" \
	    "$(field user00010 status) $(field user00011 status)" "Active Active"
	del=$((del + 1)) add=$((add + 1))
done

# --- a paged full read that ends with an error ----------------------------------
# paged NAME CODE WORDS: the lie, then the truth, on a paged full read.
# A full read stores no cookie: one is stored first (a content-sync run),
# so that a failed read wrongly taken as whole would show in it too.
paged() {
	run_agent -c "$T/agent.ini" sync
	check "$1, before: a content-sync run stores a cookie" \
	    test "$RC" = 0 -a -n "$(cookie)"
	change "$del" "$add"
	lied_to "$1" "$2" "$3" "$T/paged.ini" --full
	applied "$1" "$T/paged.ini" "$del" "$add" --full
	check_contains "$1, the truth again: a full read" "$(cat "$T/err")" \
	    "directory read in full"
	check_eq "$1, the truth again: the others stay active" \
	    "$(field user00010 status) $(field user00011 status)" "Active Active"
	del=$((del + 1)) add=$((add + 1))
}
for code in 4 3 10; do
	paged "paged full read, every search, result $code" "$code" \
	    "result=$code any_search"
done
for code in 4 3 10; do
	told=$(liar_told "$T/liar" result)
	paged "paged full read, the user read, result $code" "$code" \
	    "result=$code any_search result_filter=inetOrgPerson"
	# With the OU read and the root DSE read answered truly, the one
	# lie told was the user read's.
	check_eq "paged full read, the user read, result $code: lied to once" \
	    "$(liar_told "$T/liar" result)" $((told + 1))
done

# --- a limit says how to lift it, in the terms of the server's family -------
# The root DSE decides the family (pose_as_*); the limit is the lie.
advice() {
	liar_set "$T/liar" "$1 result=$2 any_search result_filter=inetOrgPerson"
	run_agent -c "$T/paged.ini" sync --full
	check_eq "$1, result $2: exit 3" "$RC" 3
	check_contains "$1, result $2: the fix, in the family's terms" "$(cat "$T/err")" "$3"
}
advice pose_as_389 4 "set nsSizeLimit: -1 and nsPagedSizeLimit: -1 on the entry of $SLAPD_AGENT_DN"
advice pose_as_389 11 "set nsLookThroughLimit: -1 on the entry of $SLAPD_AGENT_DN"
advice pose_as_389 3 "set nsTimeLimit: -1 on the entry of $SLAPD_AGENT_DN"
advice pose_as_ad 4 "set [ldap] page_size = 1000 or less"
advice pose_as_ad 3 "Active Directory's MaxQueryDuration"
advice pose_as_unknown 4 "lift its size limit for $SLAPD_AGENT_DN"
liar_set "$T/liar" ""
check_eq "the proxy never complained" "$(cat "$T/liar/stderr")" ""
t_done
