#!/bin/sh
# servers/daemon: `ldap2imocha daemon` on each directory server setup
# (L2I_SERVER, tests/lib/directory.sh), [sync] interval = 2s.  Changes made
# in the directory while it runs reach iMocha on their own (a join, a
# disable, a move), a pass with the server down fails without stopping
# the daemon and the pass after the server is back does the work, and
# SIGTERM ends it with exit 0.
. "$L2I_TOP/tests/lib/common.sh"
. "$L2I_TOP/tests/lib/directory.sh"
srv_require
t_setup
srv_start dir || { not_ok "the $L2I_SERVER server starts"; t_done; }
fake_start "$T/fake" --bu 1:Engineering --bu 2:Sales || { not_ok "fake iMocha starts"; t_done; }
srv_ou_add Engineering Sales || { not_ok "OUs load"; t_done; }
srv_user_add Engineering ann bob || { not_ok "users load"; t_done; }
CFG_SYNC_EXTRA="interval = 2s" CFG_IMOCHA_EXTRA="requests_per_second = 50" \
    srv_config "$T/agent.ini"

has_user() { fake_users_emails | grep -qx "$1@example.com"; }
status_is() { [ "$(fake_user_field "$1@example.com" status 2>/dev/null)" = "$2" ]; }
bu_is() { [ "$(fake_user_field "$1@example.com" businessunitId 2>/dev/null)" = "$2" ]; }
log_has() { grep -q "$1" "$T/bg.err"; }

agent_bg -c "$T/agent.ini" daemon
check "the daemon's first pass creates the users" wait_for 60 has_user bob

srv_user_add Sales cat || not_ok "cat joins"
check "a user who joins is created by a later pass" wait_for 60 has_user cat
srv_user_disable ann || not_ok "ann is disabled"
check "a disabled user is deactivated by a later pass" wait_for 60 status_is ann Inactive
srv_user_move bob Sales || not_ok "bob moves"
check "a moved user is moved by a later pass" wait_for 60 bu_is bob 2

srv_stop || not_ok "the server stops"
check "with the server down a pass fails, and is logged" \
    wait_for 60 log_has "the read is incomplete\|Can't contact LDAP server"
check "... and the daemon goes on" proc_alive "$AGENT_PID"
srv_restart || { not_ok "the server starts again"; t_done; }
srv_user_add Sales dan || not_ok "dan joins while the daemon waits"
check "the pass after the server is back does the work" wait_for 60 has_user dan

agent_stop
check_eq "SIGTERM: the daemon exits 0" "$RC" 0
check_eq "no user was created twice" \
    "$(fake_request_count POST /v3/accounts/user/create)" 4

t_done
