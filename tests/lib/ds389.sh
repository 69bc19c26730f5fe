# tests/lib/ds389.sh: a real, throwaway 389 Directory Server per test (POSIX sh)
#
# Needs common.sh sourced first.  One instance per directory; several may
# run side by side.  Every function takes the instance's DIR and reads that
# instance's values from files in DIR, so a test can drive two of them.
# The functions mirror slapd.sh's, so one test may run against either.
#
#	DS389_TLS=1 DS389_SYNC=plain ds389_start "$T/ds"
#	ds389_add "$T/ds" <<EOF ... EOF
#	ds389_use "$T/ds"	# re-export that instance's DS389_* values
#
# Knobs read by ds389_start (all off when unset):
#	DS389_SYNC=off|plain|ipa
#			off: 389's default, no content sync (RFC 4533).
#			plain: Retro Changelog (logging nsuniqueid as
#			targetUniqueId, as Red Hat's guide says) and
#			Content Synchronization on, for the whole suffix.
#			ipa: the same as FreeIPA sets it up: the changelog
#			records only cn=dns,SUFFIX and keeps 2 days, so an
#			incremental refresh of users returns nothing.
#	DS389_TLS=1	ldaps listener and StartTLS; the certificate (IP
#			127.0.0.1, DNS localhost) is from the rig's own CA
#	DS389_MEMBEROF=1	the MemberOf plugin on (set in the copy's
#			dse.ldif before its first start: no restart),
#			for member and uniqueMember: an entry a group
#			names, directly or through nested groups, gets
#			memberOf naming that group (and objectClass
#			nsMemberOf, which 389 adds to allow it)
#	DS389_AGENT_LIMITED=1	the agent keeps 389's default limits
#			(sizelimit 2000, lookthroughlimit 5000)
#	DS389_LOOKTHROUGH=N	nsLookThroughLimit N on the agent's entry
#	DS389_PORT=N	the ldap:// port to try first (a busy one is
#			retried on another, like any "address in use")
#	DS389_PRELOAD=FILE	more LDIF imported offline (ldif2db) into the
#			copy before its first start, as slapd.sh's
#			SLAPD_PRELOAD does with slapadd: 50,000 users in
#			about 12 s, where adds over LDAP take minutes.  The
#			import replaces the whole backend, so the
#			template's own entries (base.ldif) go in first;
#			FILE's parents must come before their children.
#			Imported entries have no entryUUID (389's entryUUID
#			plugin gives one only to entries added over LDAP):
#			that is why every 389 setup (tests/lib/directory.sh)
#			uses nsUniqueId as the agent's id_attribute.
# Exports: DS389_DIR DS389_URI DS389_LDAPS_URI DS389_CA DS389_PID
# DS389_SUFFIX DS389_ROOTDN DS389_ROOTPW DS389_AGENT_DN DS389_AGENT_PW.
# After start the directory holds the suffix entry, ou=People, ou=Services
# and the agent; anonymous binds read nothing (389's default ACIs).
#
# dscreate costs about 12 s, so tests/lib/ds389_template.sh builds one
# stopped instance per cache, under ${L2I_SERVER_CACHE:-$TMPDIR/l2i-server-
# cache}/ds389-VERSION-SUM (SUM: that script's checksum, so changing it
# rebuilds), behind a lock; each ds389_start copies it into DIR and edits
# the copy's dse.ldif (paths, ports, TLS, plugins) before starting it:
# about 0.7 s (1 s with TLS and content sync).  Departures from 389's
# defaults, none visible to a client: listening on 127.0.0.1 only, no
# ldapi, fixed cache sizes instead of autosizing (which takes a quarter
# of the machine's memory per instance), and non-durable transactions
# (written at commit, not fsynced: only an OS crash could lose them).
#
# Files in DIR: ds/ (the instance: etc/dirsrv/slapd-NAME/dse.ldif, db/,
# log/errors (the first place to look), log/access, run/, lock/), uri,
# ldaps_uri, pid, guard.pid, rootpw, agentpw, tls/ca.pem, conf (the config
# dir), ns-slapd.out, retried.log (starts that found a port in use),
# ldif2db.out and ldif2db.log (DS389_PRELOAD's import: its output, and
# what it wrote to the errors log).
#
# Outside DIR and the cache: only the server's POSIX semaphore
# /dev/shm/sem.slapd-NAME.stats (NAME unique per instance), which 389
# removes on a clean stop and ds389_stop removes after a kill.  Nothing in
# /etc, /run or /var: run, lock and log dirs are all in DIR, and ldapi is
# off.  The server runs as the calling user.
#
# ns-slapd forks into the background, so its parent is init, not the test.
# It is registered with common.sh's exit trap as "stop ds389_stop DIR";
# a guard process (a subshell of the test) also watches it: _t_cleanup's TERM to
# the guard (registered as an "agent") makes it SIGKILL the server, and so
# does the test shell's death.  ds389_stop kills too (0.1 s; a clean stop
# takes 2 to 3 s): nothing committed is lost, and ds389_restart recovers a
# killed instance on the way up.

DS389_SUFFIX="dc=example,dc=com"
DS389_ROOTDN="cn=Directory Manager"
DS389_AGENT_DN="cn=imocha-sync,ou=Services,$DS389_SUFFIX"
_DS389_SLAPD=/usr/sbin/ns-slapd
_DS389_LIB389=/usr/lib/python3/dist-packages/lib389/__init__.py

# ds389_require: skip the whole program unless 389-ds-base, its lib389,
# ldap-utils, openssl, the NSS tools and flock are installed.
ds389_require() {
	for _dr_c in "$_DS389_SLAPD" /usr/sbin/dscreate; do
		[ -x "$_dr_c" ] ||
		    skip_all "$_dr_c not found: install the Debian package 389-ds-base"
	done
	[ -f "$_DS389_LIB389" ] ||
	    skip_all "lib389 not found: install the Debian package python3-lib389"
	for _dr_c in ldapsearch ldapadd ldapmodify ldapdelete ldapmodrdn; do
		require_cmd "$_dr_c" ldap-utils
	done
	require_cmd openssl openssl
	require_cmd certutil libnss3-tools
	require_cmd pk12util libnss3-tools
	require_cmd flock util-linux
	return 0
}

# ds389_use DIR: export the DS389_* values of the instance in DIR.
ds389_use() {
	DS389_DIR=$1
	DS389_URI=$(cat "$1/uri" 2>/dev/null)
	DS389_LDAPS_URI=$(cat "$1/ldaps_uri" 2>/dev/null)
	DS389_CA=
	[ -f "$1/tls/ca.pem" ] && DS389_CA=$1/tls/ca.pem
	DS389_PID=$(cat "$1/pid" 2>/dev/null)
	DS389_ROOTPW=$(cat "$1/rootpw" 2>/dev/null)
	DS389_AGENT_PW=$(cat "$1/agentpw" 2>/dev/null)
	export DS389_DIR DS389_URI DS389_LDAPS_URI DS389_CA DS389_PID \
	    DS389_SUFFIX DS389_ROOTDN DS389_ROOTPW DS389_AGENT_DN DS389_AGENT_PW
}

# --- the template cache -----------------------------------------------------

# _ds389_fresh TMPL: true when TMPL is complete and its CA has 2 days left.
_ds389_fresh() {
	[ -f "$1/ready" ] &&
	    openssl x509 -noout -checkend 172800 -in "$1/tls/ca.pem" >/dev/null 2>&1
}

# _ds389_tmpl_path: print where the template of this 389 version and this
# ds389_template.sh (and the certs.sh it uses) lives.
_ds389_tmpl_path() {
	_dtp_ver=$("$_DS389_SLAPD" -v 2>/dev/null | sed -n 's,^389-Directory/,,p' |
	    tr -c 'A-Za-z0-9.\n' '-')
	_dtp_sum=$(cat "$L2I_TOP/tests/lib/ds389_template.sh" "$L2I_TOP/tests/lib/certs.sh" |
	    cksum | cut -d' ' -f1)
	printf '%s/ds389-%s-%s\n' \
	    "${L2I_SERVER_CACHE:-${TMPDIR:-/tmp}/l2i-server-cache}" \
	    "${_dtp_ver:-unknown}" "$_dtp_sum"
}

# _ds389_template: set _ds389_tmpl to a complete template, building it
# first if needed.  The lock makes a second test wait for the first one's
# build instead of racing it; a builder that died leaves only its
# .build.PID dir, removed here (under the lock no other build runs).
_ds389_template() {
	_ds389_tmpl=$(_ds389_tmpl_path)
	_ds389_fresh "$_ds389_tmpl" && return 0
	mkdir -p "${_ds389_tmpl%/*}" || return 1
	(
		flock -w 600 9 || {
			echo "ds389_start: waited 10 min for $_ds389_tmpl.lock" >&2
			exit 1
		}
		_ds389_fresh "$_ds389_tmpl" && exit 0
		rm -rf "$_ds389_tmpl".build.*
		sh "$L2I_TOP/tests/lib/ds389_template.sh" "$_ds389_tmpl"
	) 9>"$_ds389_tmpl.lock"
}

# --- one instance -------------------------------------------------------------

# _ds389_port: a random port below the usual ephemeral range.
_ds389_port() {
	echo $((10000 + $(od -An -N2 -tu2 /dev/urandom) % 22000))
}

# The dse.ldif editor: unfolds the LDIF first (389 folds at 78 columns,
# which would split a long path), replaces the template's paths with the
# copy's, then sets the ports, TLS, the two plugins of content sync and
# the MemberOf plugin (on or off; its group attributes member and
# uniqueMember either way).
# dse.ldif holds only the values ever set: nsslapd-security is absent until
# then, hence lines dropped and written again after the dn line.
_DS389_DSE_AWK='
	function subst(s, from, to,    i, o) {
		if (from == "")
			return s
		o = ""
		while ((i = index(s, from)) > 0) {
			o = o substr(s, 1, i - 1) to
			s = substr(s, i + length(from))
		}
		return o s
	}
	function attr(s) {
		return tolower(substr(s, 1, index(s, ":") - 1))
	}
	function emit(s,    a, e) {
		s = subst(subst(s, E["_dd_from"], E["_dd_to"]),
		    E["_dd_from2"], E["_dd_to2"])
		if (s ~ /^dn: /)
			dn = tolower(s)
		a = attr(s)
		e = (E["_dd_sync"] == "off") ? "off" : "on"
		if (dn == "dn: cn=config") {
			if (a == "nsslapd-port" || a == "nsslapd-secureport" ||
			    a == "nsslapd-security")
				return
			if (s ~ /^dn: /) {
				print s
				print "nsslapd-port: " E["_dd_port"]
				print "nsslapd-securePort: " E["_dd_sport"]
				s = "nsslapd-security: " E["_dd_tls"]
			}
		} else if (dn == "dn: cn=content synchronization,cn=plugins,cn=config") {
			if (a == "nsslapd-pluginenabled")
				s = "nsslapd-pluginEnabled: " e
		} else if (dn == "dn: cn=retro changelog plugin,cn=plugins,cn=config") {
			if (a == "nsslapd-pluginenabled")
				s = "nsslapd-pluginEnabled: " e
			else if (a == "nsslapd-include-suffix" ||
			    a == "nsslapd-changelogmaxage")
				return
			if (s ~ /^dn: / && E["_dd_sync"] == "ipa") {
				print s
				print "nsslapd-include-suffix: cn=dns," E["_dd_suffix"]
				s = "nsslapd-changelogmaxage: 2d"
			}
		} else if (dn == "dn: cn=memberof plugin,cn=plugins,cn=config") {
			if (a == "nsslapd-pluginenabled")
				s = "nsslapd-pluginEnabled: " E["_dd_memberof"]
			else if (a == "memberofgroupattr")
				return
			if (s ~ /^dn: /) {
				print s
				print "memberOfGroupAttr: member"
				s = "memberOfGroupAttr: uniqueMember"
			}
		}
		print s
	}
	BEGIN {
		split("_dd_from _dd_to _dd_from2 _dd_to2 _dd_port _dd_sport " \
		    "_dd_tls _dd_sync _dd_suffix _dd_memberof", k, " ")
		for (i in k)
			E[k[i]] = ENVIRON[k[i]]
	}
	/^ / { cur = cur substr($0, 2); next }
	{ if (n++) emit(cur); cur = $0 }
	END { if (n) emit(cur) }'

# _ds389_dse DIR PORT SECUREPORT: edit the copy's dse.ldif in place.  Also
# given in the environment: _dd_from/_dd_to, _dd_from2/_dd_to2 (the
# template's paths and this copy's), _dd_tls (on|off), _dd_sync
# (off|plain|ipa), _dd_memberof (on|off).  Idempotent: a retry on other
# ports runs it again.
_ds389_dse() {
	_dd_f=$(cat "$1/conf")/dse.ldif
	_dd_port=$2 _dd_sport=$3 _dd_suffix=$DS389_SUFFIX \
	_dd_from=${_dd_from:-} _dd_to=${_dd_to:-} \
	_dd_from2=${_dd_from2:-} _dd_to2=${_dd_to2:-} \
	_dd_tls=$_dd_tls _dd_sync=$_dd_sync _dd_memberof=$_dd_memberof \
	    awk "$_DS389_DSE_AWK" "$_dd_f" >"$_dd_f.new" && mv "$_dd_f.new" "$_dd_f"
}

_ds389_answers() {
	ldapsearch -x -H "$1" -o nettimeout=2 -b "" -s base \
	    namingContexts >/dev/null 2>&1
}

# _ds389_kill DIR PID: SIGKILL the instance's server and wait until it is
# gone; remove the semaphore it leaves behind.
_ds389_kill() {
	if proc_is "$2" "$1/ds/"; then
		kill -KILL "$2" 2>/dev/null
		wait_for 10 _t_not_alive "$2"
	fi
	_dk_conf=$(cat "$1/conf" 2>/dev/null)
	[ -n "$_dk_conf" ] && rm -f "/dev/shm/sem.${_dk_conf##*/}.stats"
	return 0
}

# _ds389_guard DIR PID OWNER: the guard's body (see the header).  Ignores
# HUP and INT so that ^C reaches the test, whose EXIT trap then TERMs us.
_ds389_guard() {
	trap - EXIT
	trap '' HUP INT
	trap '_ds389_kill "$1" "$2"; exit 0' TERM
	while proc_is "$2" "$1/ds/" && proc_alive "$3"; do
		sleep 1 &
		wait $!
	done
	proc_alive "$3" || _ds389_kill "$1" "$2"
	exit 0
}

# _ds389_launch DIR NEWPORTS: start ns-slapd and wait until it answers.
# With NEWPORTS=1 pick fresh ports and retry on "address in use"; else
# reuse the ports in DIR (a restart) and retry a while.
_ds389_launch() {
	_dl_conf=$(cat "$1/conf")
	_dl_log=$1/ds/log/errors
	_dl_try=0
	while [ "$_dl_try" -lt 25 ]; do
		_dl_try=$((_dl_try + 1))
		if [ "$2" = 1 ]; then
			_dl_port=$(_ds389_port)
			[ "$_dl_try" = 1 ] && [ -n "${DS389_PORT:-}" ] &&
			    _dl_port=$DS389_PORT
			_dl_sport=$(_ds389_port)
			echo "ldap://127.0.0.1:$_dl_port" >"$1/uri"
			[ "$_dd_tls" = on ] &&
			    echo "ldaps://127.0.0.1:$_dl_sport" >"$1/ldaps_uri"
			_ds389_dse "$1" "$_dl_port" "$_dl_sport" || return 1
		fi
		# Lock files of a killed server would make 389 refuse to start
		# while init has not yet reaped it.
		rm -f "$1"/ds/lock/server/* "$1/ds/run/pid" "$1/pid"
		_dl_seen=0
		[ -f "$_dl_log" ] && _dl_seen=$(wc -l <"$_dl_log")
		# ns-slapd binds its ports, then forks into the background and
		# its parent exits 0; a failed bind ends it at once with 1.
		if "$_DS389_SLAPD" -D "$_dl_conf" -i "$1/ds/run/pid" \
		    </dev/null >>"$1/ns-slapd.out" 2>&1 9>&-; then
			_ds389_wait "$1" && return 0
			echo "ds389: ns-slapd in $1 did not answer in 30 s; its errors log:" >&2
			tail -n 30 "$_dl_log" | sed 's/^/  /' >&2
			[ -s "$1/ds/run/pid" ] && _ds389_kill "$1" "$(cat "$1/ds/run/pid")"
			return 1
		fi
		tail -n "+$((_dl_seen + 1))" "$_dl_log" 2>/dev/null |
		    grep -q -- '-5982' || break
		tail -n "+$((_dl_seen + 1))" "$_dl_log" >>"$1/retried.log"
		[ "$2" = 1 ] || sleep 0.2
	done
	echo "ds389: ns-slapd in $1 did not start; its errors log:" >&2
	tail -n "+$((_dl_seen + 1))" "$_dl_log" | sed 's/^/  /' >&2
	return 1
}

# _ds389_wait DIR: wait for the server's first answer and its pid file,
# then start its guard.  Connections are refused until it serves, and the
# daemon writes its pid file only a few tenths of a second after forking:
# ask first.
_ds389_wait() {
	_dw_uri=$(cat "$1/uri")
	_dw_pid=
	_dw_n=0
	while [ "$_dw_n" -lt 600 ]; do
		[ -z "$_dw_pid" ] && [ -s "$1/ds/run/pid" ] &&
		    read -r _dw_pid <"$1/ds/run/pid"
		if [ -n "$_dw_pid" ] && ! proc_alive "$_dw_pid"; then
			return 1
		fi
		if _ds389_answers "$_dw_uri"; then
			wait_for 10 test -s "$1/ds/run/pid" || return 1
			read -r _dw_pid <"$1/ds/run/pid"
			break
		fi
		sleep 0.05
		_dw_n=$((_dw_n + 1))
	done
	[ "$_dw_n" -lt 600 ] && proc_alive "$_dw_pid" || return 1
	echo "$_dw_pid" >"$1/pid"
	(_ds389_guard "$1" "$_dw_pid" $$) </dev/null >/dev/null 2>&1 &
	echo $! >"$1/guard.pid"
	return 0
}

# _ds389_agent_limits DIR: apply DS389_AGENT_LIMITED / DS389_LOOKTHROUGH
# (the template lifts every limit on the agent's entry).
_ds389_agent_limits() {
	_dal=
	if [ "${DS389_AGENT_LIMITED:-0}" = 1 ]; then
		_dal="delete: nsSizeLimit
-
delete: nsLookThroughLimit
-
delete: nsPagedSizeLimit
-
delete: nsTimeLimit"
	fi
	if [ -n "${DS389_LOOKTHROUGH:-}" ]; then
		_dal="${_dal:+$_dal
-
}replace: nsLookThroughLimit
nsLookThroughLimit: $DS389_LOOKTHROUGH"
	fi
	[ -n "$_dal" ] || return 0
	printf 'dn: %s\nchangetype: modify\n%s\n\n' "$DS389_AGENT_DN" "$_dal" |
	    ds389_modify "$1"
}

# _ds389_copy DIR: copy the template into DIR/ds under a name of its own;
# set _dd_from/_dd_to and _dd_from2/_dd_to2 for _ds389_dse.
_ds389_copy() {
	cp -a "$_ds389_tmpl/root" "$1/ds" || return 1
	cp "$_ds389_tmpl/rootpw" "$_ds389_tmpl/agentpw" "$1/" || return 1
	if [ "$_dd_tls" = on ]; then
		mkdir -p "$1/tls" && cp "$_ds389_tmpl/tls/ca.pem" "$1/tls/" ||
		    return 1
	fi
	_dc_old=$(cat "$_ds389_tmpl/name")
	_dc_prefix=$(cat "$_ds389_tmpl/prefix")
	_dd_to=$1/ds/etc/dirsrv/slapd-l2i$(rand_hex 4)
	mv "$1/ds/etc/dirsrv/slapd-$_dc_old" "$_dd_to" || return 1
	echo "$_dd_to" >"$1/conf"
	# The config dir was renamed, then the prefix moved.
	_dd_from=$_dc_prefix/etc/dirsrv/slapd-$_dc_old
	_dd_from2=$_dc_prefix
	_dd_to2=$1/ds
	# NSS finds its database through the path in pkcs11.txt.
	_dc_conf=$_dd_to awk '{
		i = index($0, "configdir=\047")
		if (i) {
			r = substr($0, i + 11)
			$0 = substr($0, 1, i + 10) ENVIRON["_dc_conf"] \
			    substr(r, index(r, "\047"))
		}
		print
	}' "$_dd_to/pkcs11.txt" >"$_dd_to/pkcs11.txt.new" &&
	    mv "$_dd_to/pkcs11.txt.new" "$_dd_to/pkcs11.txt"
}

# _ds389_preload DIR: DS389_PRELOAD's entries, after the template's own,
# imported offline into the stopped copy (ns-slapd ldif2db).  The copy's
# dse.ldif gets its paths first (the ports are set again at the launch).
# An entry left out (no parent, a schema violation) fails the start:
# ldif2db then exits 1 ("task warning") and its errors log names each.
_ds389_preload() {
	if [ ! -r "$DS389_PRELOAD" ]; then
		echo "ds389_start: cannot read DS389_PRELOAD=$DS389_PRELOAD" >&2
		return 1
	fi
	_ds389_dse "$1" "$(_ds389_port)" "$(_ds389_port)" || return 1
	_dp_log=$1/ds/log/errors
	_dp_seen=0
	[ -f "$_dp_log" ] && _dp_seen=$(wc -l <"$_dp_log")
	_dp_rc=0
	"$_DS389_SLAPD" ldif2db -D "$(cat "$1/conf")" -n userroot \
	    -i "$_ds389_tmpl/base.ldif" -i "$DS389_PRELOAD" \
	    </dev/null >"$1/ldif2db.out" 2>&1 9>&- || _dp_rc=$?
	tail -n "+$((_dp_seen + 1))" "$_dp_log" 2>/dev/null >"$1/ldif2db.log"
	if [ "$_dp_rc" -ne 0 ] ||
	    grep -q -e '[(][1-9][0-9]* were skipped' "$1/ldif2db.log"; then
		echo "ds389_start: ldif2db of $DS389_PRELOAD failed ($_dp_rc); its errors log:" >&2
		{
			grep -e ' - WARN - ' -e ' - ERR - ' "$1/ldif2db.log" | head -n 10
			tail -n 3 "$1/ldif2db.log"
		} | sed 's/^/  /' >&2
		return 1
	fi
}

# ds389_start DIR: a fresh instance in DIR (see above).
ds389_start() {
	ds389_require
	[ -n "${T:-}" ] || t_setup
	mkdir -p "$1" || return 1
	_ds_dir=$(cd "$1" && pwd)
	if [ -e "$_ds_dir/ds" ]; then
		echo "ds389_start: $_ds_dir is in use; ds389_restart it" >&2
		return 1
	fi
	case ${DS389_SYNC:-off} in
	off | plain | ipa) _dd_sync=${DS389_SYNC:-off} ;;
	*)
		echo "ds389_start: DS389_SYNC=$DS389_SYNC: want off, plain or ipa" >&2
		return 1
		;;
	esac
	_dd_tls=off
	[ "${DS389_TLS:-0}" = 1 ] && _dd_tls=on
	_dd_memberof=off
	[ "${DS389_MEMBEROF:-0}" = 1 ] && _dd_memberof=on
	_ds389_template || return 1
	_t_register agent "$_ds_dir/guard.pid"
	_t_register stop "ds389_stop $_ds_dir"
	_ds389_copy "$_ds_dir" || return 1
	if [ -n "${DS389_PRELOAD:-}" ]; then
		_ds389_preload "$_ds_dir" || return 1
	fi
	_ds389_launch "$_ds_dir" 1 || return 1
	ds389_use "$_ds_dir"
	_ds389_agent_limits "$_ds_dir"
}

# ds389_stop DIR: SIGKILL the instance (a clean stop takes seconds; see the
# header for why nothing is lost) and wait until it is gone.
ds389_stop() {
	_dst_dir=$(cd "$1" 2>/dev/null && pwd) || return 0
	[ -s "$_dst_dir/pid" ] && _ds389_kill "$_dst_dir" "$(cat "$_dst_dir/pid")"
	_t_stop_pidfile "$_dst_dir/guard.pid" ""
	rm -f "$_dst_dir/pid"
	[ "${DS389_DIR:-}" = "$_dst_dir" ] && DS389_PID=
	return 0
}

# ds389_restart DIR: a clean stop (SIGTERM), then start again on the same
# ports with the same data.  Also brings back an instance ds389_stop killed.
ds389_restart() {
	_dre_dir=$(cd "$1" && pwd) || return 1
	if [ -s "$_dre_dir/pid" ]; then
		_dre_pid=$(cat "$_dre_dir/pid")
		if proc_is "$_dre_pid" "$_dre_dir/ds/"; then
			kill -TERM "$_dre_pid"
			wait_for 60 _t_not_alive "$_dre_pid" ||
			    _ds389_kill "$_dre_dir" "$_dre_pid"
		fi
	fi
	_t_stop_pidfile "$_dre_dir/guard.pid" ""
	_ds389_launch "$_dre_dir" 0 || return 1
	[ "${DS389_DIR:-}" = "$_dre_dir" ] && DS389_PID=$(cat "$_dre_dir/pid")
	return 0
}

# --- reading and writing ------------------------------------------------------

# _ds389_tool TOOL DIR ARGS...: run an ldap tool as Directory Manager.
_ds389_tool() {
	_dto_tool=$1
	_dto_dir=$2
	shift 2
	"$_dto_tool" -x -H "$(cat "$_dto_dir/uri")" -o nettimeout=10 \
	    -D "$DS389_ROOTDN" -y "$_dto_dir/rootpw" "$@"
}

# _ds389_quiet TOOL DIR ARGS...: the tool as the administrator, quiet
# unless it fails (rig_quiet).
_ds389_quiet() {
	rig_quiet _ds389_tool "$@"
}

# ds389_add DIR [-M] [FILE]: add the LDIF in FILE (or stdin) as Directory
# Manager; -M (ManageDsaIT) adds referral entries as they are.
ds389_add() {
	rig_add _ds389_tool "$@"
}

# ds389_modify DIR [FILE]: apply LDIF changes (changetype: ...).
ds389_modify() {
	rig_modify _ds389_tool "$@"
}

# ds389_modrdn DIR ARGS...: ldapmodrdn, e.g. -r -s NEWSUPERIOR DN NEWRDN.
ds389_modrdn() {
	_ds389_quiet ldapmodrdn "$@"
}

# ds389_delete DIR [-r] [-M] DN...
ds389_delete() {
	_ds389_quiet ldapdelete "$@"
}

# ds389_search DIR ARGS...: ldapsearch -LLL, unwrapped lines; the base
# defaults to the suffix.
ds389_search() {
	_dse_dir=$1
	shift
	_dse_base=
	for _dse_a in "$@"; do
		case $_dse_a in
		-b*) _dse_base=1 ;;
		esac
	done
	if [ -n "$_dse_base" ]; then
		_ds389_tool ldapsearch "$_dse_dir" -LLL -o ldif-wrap=no "$@"
	else
		_ds389_tool ldapsearch "$_dse_dir" -LLL -o ldif-wrap=no \
		    -b "$DS389_SUFFIX" "$@"
	fi
}
