#!/bin/sh
# ad_wire: what Active Directory says on the wire that slapd never does,
# told by the lying proxy (tests/lib/ldap_liar.py) in front of a real slapd
# that offers content sync, so that the agent asks for it:
# - the content-sync request refused before any entry, as Samba does (an
#   ExtendedResponse carrying 12, the search never ended: libldap says 80),
#   or with 80 or a protocol error in a SearchResultDone: each means "not
#   offered", so the run reads in full with paged searches, says so once,
#   and does its work (DIRECTORY_SERVERS.md; the issue's first complaint);
# - 80 after entries came is a broken read, not a refusal: exit 3;
# - Windows caps every page at MaxPageSize (1000) whatever the client asked
#   (page_max): the reader follows the server's cookies, not its own page
#   size, and reads every entry.
# The same runs against a real Samba AD DC are in tests/integration/servers.
. "$L2I_TOP/tests/lib/common.sh"
. "$L2I_TOP/tests/lib/slapd.sh"
. "$L2I_TOP/tests/lib/liar.sh"
t_setup
liar_rig 3 2
field() { fake_user_field "$1@example.com" "$2"; }

run_agent -c "$T/agent.ini" sync
check_eq "a first sync through the proxy: exit 0" "$RC" 0

n=6
for how in refuse_sync refuse_sync=done80 refuse_sync=protocol; do
	u=$(printf 'user%05d' "$n")
	gen_users 1 Sales "$n" | slapd_add "$T/ldap" || not_ok "$u joins"
	told=$(liar_told "$T/liar" refuse_sync)
	liar_set "$T/liar" "$how"
	run_agent -c "$T/agent.ini" sync
	check_eq "$how: the run does its work, exit 0" "$RC $(field "$u" status)" "0 Active"
	check_eq "$how: the request was refused" "$(liar_told "$T/liar" refuse_sync)" $((told + 1))
	check_eq "$how: said once, with the server's answer" \
	    "$(grep -c 'the server refused the request before sending anything' "$T/err")" 1
	check_contains "$how: ... and the paged read that follows" "$(cat "$T/err")" \
	    "it does not offer content sync; reading in full with paged searches"
	check_contains "$how: the run read in full" "$(cat "$T/err")" "directory read in full"
	n=$((n + 1))
done
liar_set "$T/liar" refuse_sync
run_agent -c "$T/agent.ini" sync
check_contains "refused (ExtendedResponse): the code libldap gives is shown" "$(cat "$T/err")" \
    "(80: Other (e.g., implementation specific) error"

# 80 once entries came: the read broke, nothing is taken from it.
liar_set "$T/liar" ""
run_agent -c "$T/agent.ini" sync
gen_users 1 Sales "$n" | slapd_add "$T/ldap" || not_ok "one more user joins"
slapd_delete "$T/ldap" "uid=user00001,ou=Engineering,$P" || not_ok "user00001 leaves"
w=$(fake_write_count)
liar_set "$T/liar" "result=80"
CFG_URI=$LIAR_URI CFG_LDAP_EXTRA="content_sync = yes" write_config "$T/yes.ini"
run_agent -c "$T/yes.ini" sync --full
check_eq "80 after entries: exit 3" "$RC" 3
check_eq "80 after entries: nothing sent" "$(fake_write_count)" "$w"
check "80 after entries: no fall back to a paged read" \
    test "$(grep -c 'reading in full with paged searches' "$T/err")" -eq 0

# --- Windows' MaxPageSize --------------------------------------------------
liar_set "$T/liar" ""
gen_users 1100 Sales 100 | slapd_add "$T/ldap" || not_ok "1,100 more users load"
liar_set "$T/liar" "page_max=1000"
told=$(liar_told "$T/liar" page_max)
CFG_URI=$LIAR_URI CFG_LDAP_EXTRA="content_sync = no
page_size = 2000" CFG_SYNC_EXTRA="max_creates = 2000" CFG_IMOCHA_EXTRA="requests_per_second = 1000
max_in_flight = 16" write_config "$T/paged.ini"
run_agent -c "$T/paged.ini" sync
check_eq "pages capped at 1000 under page_size 2000: exit 0" "$RC" 0 || sed 's/^/# /' "$T/err"
check "... the server capped the pages" test "$(liar_told "$T/liar" page_max)" -gt "$told"
check_eq "... and every user was read and created" \
    "$(fake_users_emails | grep -c '^user0[0-9]*@')" 1109

check_eq "the proxy never complained" "$(cat "$T/liar/stderr")" ""
t_done
