# tests/lib/liar.sh: a lying LDAP proxy in front of a test slapd (POSIX sh)
#
# Needs common.sh (and, for slapd, slapd.sh) sourced first.  The proxy is
# tests/lib/ldap_liar.py: see its header for what each lie does.
#
#	SLAPD_SYNCPROV=1 slapd_start "$T/ldap"
#	liar_start "$T/liar" "$SLAPD_URI"	# exports LIAR_URI
#	liar_set "$T/liar" "refresh_deletes_false strip_operational"
#	CFG_URI=$LIAR_URI write_config ...; run_agent ...
#	check_eq "the lie was told" "$(liar_told "$T/liar" strip_operational)" 1
#
# The lies are read from DIR/mode at the start of each client connection,
# so liar_set between two runs of the agent needs no restart.
# Files in DIR: mode, log (one line per lie told, starting with its word),
# port, pid, stdout, stderr (the proxy's complaints: look there first).

# liar_start DIR UPSTREAM_URI: start the proxy in front of UPSTREAM_URI
# (ldap://127.0.0.1:PORT[/]), telling no lie until liar_set; wait until it
# listens; export LIAR_URI and LIAR_DIR.  Stopped by liar_stop or at exit.
liar_start() {
	[ -x "$L2I_PY" ] || skip_all "$L2I_PY not found: install the Debian package python3"
	mkdir -p "$1" || return 1
	_ls_dir=$(cd "$1" && pwd) || return 1
	_ls_up=${2#ldap://}
	_ls_up=${_ls_up%%/*}
	case $_ls_up in
	*:*) ;;
	*) _ls_up=$_ls_up:389 ;;
	esac
	rm -f "$_ls_dir/port"
	[ -f "$_ls_dir/mode" ] || : >"$_ls_dir/mode"
	: >>"$_ls_dir/log"
	"$L2I_PY" "$L2I_TOP/tests/lib/ldap_liar.py" --upstream "$_ls_up" \
	    --port-file "$_ls_dir/port" --mode-file "$_ls_dir/mode" \
	    --log "$_ls_dir/log" \
	    </dev/null >"$_ls_dir/stdout" 2>"$_ls_dir/stderr" &
	_ls_pid=$!
	echo "$_ls_pid" >"$_ls_dir/pid"
	_t_register agent "$_ls_dir/pid"
	_ls_n=0
	# 10 s in 0.05 s steps; the port file is written (atomically) once
	# the proxy listens.
	while [ "$_ls_n" -lt 200 ]; do
		_ls_port=
		[ -s "$_ls_dir/port" ] && read -r _ls_port <"$_ls_dir/port"
		case $_ls_port in
		'' | *[!0-9]*) ;;
		*)
			LIAR_URI=ldap://127.0.0.1:$_ls_port
			LIAR_DIR=$_ls_dir
			export LIAR_URI LIAR_DIR
			return 0
			;;
		esac
		proc_alive "$_ls_pid" || break
		sleep 0.05
		_ls_n=$((_ls_n + 1))
	done
	echo "liar_start: the proxy did not come up; its stderr:" >&2
	sed 's/^/  /' "$_ls_dir/stderr" >&2
	liar_stop "$_ls_dir"
	return 1
}

# liar_set DIR "WORDS": the lies for the next connections ("" = none).
# Written atomically: a connection starting meanwhile sees old or new.
liar_set() {
	printf '%s\n' "$2" >"$1/mode.tmp" && mv -f "$1/mode.tmp" "$1/mode"
}

# liar_told DIR WORD: how many lies WORD has told (log lines starting
# with WORD; "drop_after=2" counts as drop_after, "refuse_sync=done80" as
# every refuse_sync variant).
liar_told() {
	if [ -f "$1/log" ]; then
		awk -v w="${2%%=*}" '$1 == w { n++ } END { print n + 0 }' "$1/log"
	else
		echo 0
	fi
}

# liar_stop DIR: stop the proxy (its connections drop with it).
liar_stop() {
	_t_stop_pidfile "$1/pid" ldap_liar.py
}

# liar_rig N_ENG N_SALES: the rig of the trust tests: a slapd with syncprov
# in $T/ldap, the fake iMocha (BUs 1 Engineering, 2 Sales) in $T/fake,
# the liar in $T/liar in front of slapd, N_ENG users in ou=Engineering
# from user00001 and N_SALES in ou=Sales after them, and $T/agent.ini
# reading through the liar.  Sets P (ou=People,...).  Ends the test
# (skip or not ok) when a part does not start.
liar_rig() {
	SLAPD_SYNCPROV=1 slapd_start "$T/ldap" || skip_all "slapd could not start"
	fake_start "$T/fake" --bu 1:Engineering --bu 2:Sales ||
	    { not_ok "fake iMocha starts"; t_done; }
	liar_start "$T/liar" "$SLAPD_URI" || { not_ok "the lying proxy starts"; t_done; }
	P=ou=People,dc=example,dc=com
	{ gen_ou Engineering; gen_ou Sales; gen_users "$1" Engineering 1
	  gen_users "$2" Sales $(($1 + 1)); } |
	    slapd_add "$T/ldap" || { not_ok "directory loads"; t_done; }
	CFG_URI=$LIAR_URI write_config "$T/agent.ini"
}
