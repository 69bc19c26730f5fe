#!/bin/sh
# servers/incremental: runs after the first, on each directory server setup
# (L2I_SERVER, tests/lib/directory.sh).  Under content_sync = auto every
# setup must see each join, move, rename, e-mail change, disable,
# re-enable and delete on the next run.  How it reads differs, and is
# checked: OpenLDAP (RFC 4533) and AD (DirSync) incrementally once an
# audit trusted them; 389 in full, because the agent does not believe its
# content sync (SPEC.md, Trust; DIRECTORY_SERVERS.md).  AD tells an
# ordinary account of no deletion: a deleted user there is deactivated by
# the next full read (--full here, full_every in use).
#
# Then content_sync = yes, where an operator forces incremental reads: on
# 389 with content sync the agent reads incrementally but audits each run
# until it trusts the server, and the 389 setups never earn it (a disable
# that takes an entry out of the filter is not reported; FreeIPA's
# changelog reports no user at all), so every result is still right and
# status counts the server distrusted (389 also says, on every refresh,
# that every entry it did not send is gone: the audit counts those too).
# Where no incremental read is offered (389 as installed), yes stops the
# run (exit 3) naming the key.
. "$L2I_TOP/tests/lib/common.sh"
. "$L2I_TOP/tests/lib/directory.sh"
srv_require
require_cmd sqlite3 sqlite3
t_setup
srv_start dir || { not_ok "the $L2I_SERVER server starts"; t_done; }
fake_start "$T/fake" --bu 1:Engineering --bu 2:Sales || { not_ok "fake iMocha starts"; t_done; }
srv_ou_add Engineering Sales || { not_ok "OUs load"; t_done; }
srv_user_add Engineering ann bob cat || { not_ok "users load"; t_done; }
srv_user_add Sales dan eve || { not_ok "users load"; t_done; }
field() { fake_user_field "$1@example.com" "$2"; }

# The mode every run after the first must use on this setup, and why.
case $SRV_SETUP in
openldap | ad-ou | ad-root) want=incremental why="directory read incremental" ;;
389 | 389-ipa)
	want=full
	why="directory read in full: incremental reads are trusted only on OpenLDAP's syncprov and AD's DirSync (content_sync = auto)"
	;;
*)
	want=full
	why="directory read in full: the directory server offers no incremental reads"
	;;
esac

# step NAME: sync, exit 0, read as this setup must.
step() {
	run_agent -c "$T/agent.ini" sync
	check_eq "$1: exit 0" "$RC" 0 || sed 's/^/# /' "$T/err"
	check_eq "$1: read $want" "$(srv_read_mode)" "$want"
	check_contains "$1: ... for the reason this server gets" "$(cat "$T/err")" "$why"
}

srv_config "$T/agent.ini"
run_agent -c "$T/agent.ini" sync
check_eq "first sync creates the five" "$RC $(fake_users_emails | wc -l)" "0 5"
srv_earn_trust ann "$T/agent.ini"
run_agent -c "$T/agent.ini" sync
check_eq "with nothing changed: read $want, nothing sent" \
    "$(srv_read_mode) $(fake_write_count)" "$want 5"

srv_user_add Sales fay || not_ok "fay joins"
step "joined"
check_eq "joined: created in Sales" "$(field fay status) $(field fay businessunitId)" "Active 2"

srv_user_move bob Sales || not_ok "bob moves"
step "moved"
check_eq "moved: in Sales, not created again" \
    "$(field bob businessunitId) $(field bob createCount)" "2 1"

w=$(fake_write_count)
srv_user_rename cat cat2 || not_ok "cat is renamed"
step "renamed"
check_eq "renamed: nothing sent" "$(fake_write_count)" "$w"
check_contains "renamed: the mirror has the new DN" \
    "$(sqlite3 "$T/state.db" "SELECT dn FROM directory_entry WHERE email = 'cat@example.com'")" \
    "cat2"

srv_user_mail dan dan.new@example.com || not_ok "dan's e-mail changes"
step "e-mail changed"
check_eq "e-mail changed: old Inactive, new Active" \
    "$(field dan status) $(fake_user_field dan.new@example.com status)" "Inactive Active"

srv_user_disable eve || not_ok "eve is disabled"
step "disabled"
check_eq "disabled: Inactive" "$(field eve status)" Inactive

srv_user_enable eve || not_ok "eve is enabled"
step "re-enabled"
check_eq "re-enabled: Active, not created again" \
    "$(field eve status) $(field eve createCount)" "Active 1"

srv_user_delete ann || not_ok "ann is deleted"
if [ "$SRV_KIND" = ad ]; then
	# DirSync does not name a deleted object to an ordinary account.
	step "deleted (the incremental run)"
	check_eq "deleted: an incremental run on AD does not see it yet" "$(field ann status)" Active
	run_agent -c "$T/agent.ini" sync --full
	check_eq "deleted: the next full read deactivates" "$RC $(field ann status)" "0 Inactive"
else
	step "deleted"
	check_eq "deleted: Inactive" "$(field ann status)" Inactive
fi

# --- content_sync = yes --------------------------------------------------
distrusted() {
	run_agent -c "$T/yes.ini" status --json
	"$L2I_PY" -c 'import json, sys; print(json.load(sys.stdin)["directory"]["servers_distrusted"])' \
	    <"$T/out"
}
CFG_LDAP_EXTRA="content_sync = yes" srv_config "$T/yes.ini"
case $SRV_SETUP in
389 | 389-ipa)
	run_agent -c "$T/yes.ini" sync
	check_eq "yes: the first run under yes: exit 0" "$RC" 0 || sed 's/^/# /' "$T/err"
	srv_user_add Engineering gus || not_ok "gus joins"
	run_agent -c "$T/yes.ini" sync
	check_eq "yes: joined: created" "$RC $(field gus status)" "0 Active"
	check_contains "yes: the incremental read is audited against a full one" \
	    "$(cat "$T/err")" "audit of its incremental reads: "
	check_contains "yes: ... which finds it wrong, and plans from the full read" \
	    "$(cat "$T/err")" "directory read in full: auditing the server's incremental reads"
	srv_user_disable gus || not_ok "gus is disabled"
	run_agent -c "$T/yes.ini" sync
	check_eq "yes: a disable the server does not report is still seen" \
	    "$RC $(field gus status)" "0 Inactive"
	check_contains "yes: the distrusted server is used with a warning naming the key" \
	    "$(cat "$T/err")" "they are used all the same ([ldap] content_sync = yes)"
	srv_user_delete fay || not_ok "fay is deleted"
	run_agent -c "$T/yes.ini" sync
	check_eq "yes: a delete is seen" "$RC $(field fay status)" "0 Inactive"
	check_eq "yes: status counts the server distrusted" "$(distrusted)" 1
	;;
389-nosync)
	w=$(fake_write_count)
	srv_user_add Engineering gus || not_ok "gus joins"
	run_agent -c "$T/yes.ini" sync
	check_eq "yes, where no content sync is offered: exit 3" "$RC" 3
	check_contains "... naming the key and the server's family" "$(cat "$T/err")" \
	    "content_sync = yes, but"
	check_eq "... and nothing sent" "$(fake_write_count)" "$w"
	;;
openldap | ad-ou | ad-root)
	srv_user_add Engineering gus || not_ok "gus joins"
	run_agent -c "$T/yes.ini" sync
	check_eq "yes on $SRV_KIND: a first sync, then trusted like auto" "$RC" 0
	check_eq "yes on $SRV_KIND: the server is not distrusted" "$(distrusted)" 0
	;;
esac

t_done
