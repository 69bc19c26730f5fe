#!/bin/sh
# servers/failures: what goes wrong with a directory server, on each setup
# (L2I_SERVER, tests/lib/directory.sh).  Each failure stops the run with
# exit 3 before anything is sent, says what and where in one line, and
# leaves the next good run to do the work: the server down (then back),
# a wrong password (never echoed), TLS without the CA, the server's own
# size limits (with how to lift them in that server's terms), and an
# anonymous bind.  Where servers differ, each case says how and why.
. "$L2I_TOP/tests/lib/common.sh"
. "$L2I_TOP/tests/lib/directory.sh"
srv_require
t_setup
SRV_TLS=1 srv_start dir || { not_ok "the $L2I_SERVER server starts"; t_done; }
fake_start "$T/fake" --bu 1:Engineering --bu 2:Sales || { not_ok "fake iMocha starts"; t_done; }
srv_ou_add Engineering Sales || { not_ok "OUs load"; t_done; }
srv_user_add Engineering ann bob || { not_ok "users load"; t_done; }
srv_config "$T/agent.ini"

# fails_cleanly NAME CONFIG: a sync with CONFIG exits 3 and sends nothing.
fails_cleanly() {
	_fc_w=$(fake_write_count)
	run_agent -c "$2" sync
	check_eq "$1: exit 3" "$RC" 3 || sed 's/^/# /' "$T/err"
	check_eq "$1: nothing sent" "$(fake_write_count)" "$_fc_w"
}

# --- the server down, then back --------------------------------------------
srv_stop || not_ok "the server stops"
fails_cleanly "server down" "$T/agent.ini"
check_contains "server down: the error names the server" "$(cat "$T/err")" \
    "$(sed -n 's/^uri = //p' "$T/agent.ini")"
srv_restart || { not_ok "the server starts again"; t_done; }
run_agent -c "$T/agent.ini" sync
check_eq "server back: the next run does the work" "$RC $(fake_users_emails | wc -l)" "0 2"

# --- a wrong password ------------------------------------------------------
secret=wrong-$(rand_hex 6)
CFG_BIND_PW=$secret srv_config "$T/badpw.ini"
fails_cleanly "wrong password" "$T/badpw.ini"
check_contains "wrong password: the error names bind_dn" "$(cat "$T/err")" "$SRV_AGENT_DN"
check_contains "wrong password: ... and says the credentials" "$(cat "$T/err")" "Invalid credentials"
check_eq "wrong password: the password is in no output" \
    "$(grep -c -- "$secret" "$T/err" "$T/out" | awk -F: '{ n += $2 } END { print n }')" 0

# --- TLS without the CA ----------------------------------------------------
SRV_AGENT_URI=$SRV_LDAPS_URI CFG_CA= srv_config "$T/noca.ini"
fails_cleanly "ldaps:// without the CA" "$T/noca.ini"
check_contains "no CA: the error says the certificate" "$(cat "$T/err")" "certificate"
SRV_AGENT_URI=$SRV_LDAPS_URI srv_config "$T/ldaps.ini"
run_agent -c "$T/ldaps.ini" sync
check_eq "ldaps:// with the CA works" "$RC" 0

# --- the server's size limits ----------------------------------------------
case $SRV_KIND in
openldap)
	# slapd's default limit is 500 entries; the service account keeps it.
	SRV_LIMITED=1 srv_start limited || not_ok "a limited slapd starts"
	srv_ou_add Sales && srv_users_add Sales 510 || not_ok "510 users load"
	srv_config "$T/limited.ini"
	fails_cleanly "slapd's size limit" "$T/limited.ini"
	check_contains "size limit: slapd's own way to lift it, for the account" \
	    "$(cat "$T/err")" "limits dn.exact=\"$SRV_AGENT_DN\" size=unlimited"
	;;
389)
	# 389's default look-through limit is 5000; lowered on the account
	# so that a few entries pass it (DIRECTORY_SERVERS.md).
	DS389_LOOKTHROUGH=20 SRV_LIMITED=1 srv_start limited || not_ok "a limited 389 starts"
	srv_ou_add Sales && srv_users_add Sales 30 || not_ok "30 users load"
	srv_config "$T/limited.ini"
	fails_cleanly "389's look-through limit" "$T/limited.ini"
	check_contains "look-through limit: 389's own way to lift it, on the account's entry" \
	    "$(cat "$T/err")" "set nsLookThroughLimit: -1 on the entry of $SRV_AGENT_DN"
	# An entry made while 389's entryUUID plugin was off has none: with
	# id_attribute = entryUUID it is skipped, and the skip line says why
	# and what to set.
	srv_start noid || not_ok "a third 389 starts"
	printf 'dn: cn=entryuuid,cn=plugins,cn=config\nchangetype: modify\nreplace: nsslapd-pluginEnabled\nnsslapd-pluginEnabled: off\n\n' |
	    srv_modify && srv_stop && srv_restart || not_ok "389's entryUUID plugin goes off"
	srv_ou_add Sales && srv_user_add Sales zed || not_ok "zed is added"
	CFG_LDAP_EXTRA="id_attribute = entryUUID" srv_config "$T/noid.ini"
	run_agent -c "$T/noid.ini" plan
	check_contains "an entry without entryUUID on 389: skipped, with the fix" "$(cat "$T/err")" \
	    "skipped $(srv_user_dn zed): no entryUUID: 389 Directory Server gives none to entries imported with ldif2db or made before its entryUUID plugin ran; set [ldap] id_attribute = nsUniqueId"
	;;
ad)
	# Samba enforces none of Windows AD's LDAP policy limits (Windows
	# caps each page at MaxPageSize 1000): there is no limit to hit.
	diag "no size-limit case on Samba AD: Samba enforces no MaxPageSize (DIRECTORY_SERVERS.md)"
	;;
esac
srv_use "$T/dir"

# --- Active Directory's own rules for binds -------------------------------
if [ "$SRV_KIND" = ad ]; then
	# AD takes no simple bind without TLS: the error says what to set.
	SRV_AGENT_URI=$SRV_URI srv_config "$T/plain.ini"
	fails_cleanly "AD over ldap:// without TLS" "$T/plain.ini"
	check_contains "AD over ldap://: says to use ldaps:// or StartTLS" "$(cat "$T/err")" \
	    "the server takes no simple bind on a connection without TLS: use ldaps:// in [ldap] uri, or starttls = yes"
	SRV_AGENT_URI=$SRV_URI CFG_LDAP_EXTRA="starttls = yes" srv_config "$T/starttls.ini"
	run_agent -c "$T/starttls.ini" sync
	check_eq "AD over ldap:// with starttls = yes works" "$RC" 0
	# A bind name may be a DN, a UPN or DOMAIN\user.
	CFG_BIND_DN="imocha-sync@$(echo "$SAMBA_REALM" | tr '[:upper:]' '[:lower:]')" \
	    srv_config "$T/upn.ini"
	run_agent -c "$T/upn.ini" sync
	check_eq "AD: bind_dn as a UPN (user@realm) works" "$RC" 0
	CFG_BIND_DN="$SAMBA_DOMAIN\\imocha-sync" srv_config "$T/netbios.ini"
	run_agent -c "$T/netbios.ini" sync
	check_eq "AD: bind_dn as DOMAIN\\user works" "$RC" 0 || sed 's/^/# /' "$T/err" "$T/netbios.ini"
fi

# --- an anonymous bind -----------------------------------------------------
CFG_BIND_DN= srv_config "$T/anon.ini"
case $SRV_KIND in
openldap)
	# slapd's rig lets anonymous read, as slapd's default access does.
	run_agent -c "$T/anon.ini" plan
	check_eq "anonymous on slapd: reads as the agent does" "$RC" 0
	;;
389)
	# 389 lets anonymous bind but grants it no read: every search
	# answers 0 entries and success.  Not an empty directory.
	fails_cleanly "anonymous on 389 (no ACI grants a read)" "$T/anon.ini"
	check_contains "anonymous on 389: says nothing can be read and why" "$(cat "$T/err")" \
	    "nothing under base_dn $SRV_BASE can be read, not even base_dn itself"
	# Not an empty directory, whatever the command (SPEC.md: exit 3, which
	# --force does not override).
	run_agent -c "$T/anon.ini" sync --force
	check_eq "anonymous on 389: sync --force is still exit 3" "$RC" 3
	run_agent -c "$T/anon.ini" plan
	check_eq "anonymous on 389: plan is exit 3" "$RC" 3
	run_agent -c "$T/anon.ini" check
	check_eq "anonymous on 389: check is exit 3" "$RC" 3
	check_contains "anonymous on 389: check says the account cannot read" "$(cat "$T/err")" \
	    "read rights"
	;;
ad)
	# AD refuses anonymous searches outright.
	fails_cleanly "anonymous on AD (searches need a bind)" "$T/anon.ini"
	check_contains "anonymous on AD: the server's refusal is shown" "$(cat "$T/err")" \
	    "LDAP"
	;;
esac

t_done
