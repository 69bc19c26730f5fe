# tests/lib/directory.sh: one test, any of the directory servers the agent
# supports (POSIX sh).  Needs common.sh sourced first; sources the rigs.
#
# L2I_SERVER picks the setup (tests/run runs each program of
# tests/integration/servers/ once per setup in L2I_SERVERS):
#	openldap	slapd with syncprov: read incrementally once trusted
#	389		389-DS with content sync on (Retro Changelog and
#			Content Synchronization plugins)
#	389-ipa		389-DS as FreeIPA sets it up: content sync on, but
#			the Retro Changelog records only cn=dns
#	389-nosync	389-DS as installed: no content sync
#	ad-ou		Samba AD DC, base_dn an OU (OU=People)
#	ad-root		Samba AD DC, base_dn the domain root (continuation
#			references to Configuration and the DNS zones)
#
#	srv_require
#	srv_start NAME			# a server in $T/NAME
#	srv_ou_add Engineering
#	srv_user_add Engineering alice	# alice@example.com
#	srv_config "$T/agent.ini"	# write_config for this server
#	srv_group_add Staff alice @Admins	# groups: see "groups" below
#
# Users are named by a short id (UID): their DN is kept in
# $T/NAME/dn/UID, so moves and renames need no bookkeeping by the test.
# Every user gets mail UID@example.com, givenName "User", sn UID.
#
# The same intent on every server, in each server's own terms:
#	disabled	openldap: employeeType=disabled; 389: nsAccountLock
#			true (389's own account lock); AD: userAccountControl
#			bit 2
#	id_attribute	openldap: entryUUID; 389: nsUniqueId (entryUUID is
#			only on entries added since its plugin came on); AD:
#			objectGUID
#	connection	openldap and 389: ldap:// (TLS by SRV_TLS=1: ldaps://);
#			AD: always ldaps:// (it refuses simple binds without TLS)
#
# After srv_start: SRV_KIND (openldap, 389 or ad), SRV_SETUP ($L2I_SERVER),
# SRV_DIR, SRV_SUFFIX, SRV_PEOPLE (the OU holding the test's OUs),
# SRV_BASE (the base_dn the agent is given), SRV_URI, SRV_LDAPS_URI,
# SRV_CA, SRV_AGENT_DN, SRV_AGENT_PW, SRV_DEPT (the user attribute naming a
# department: department on AD, departmentNumber elsewhere).

. "$L2I_TOP/tests/lib/slapd.sh"

L2I_SERVER=${L2I_SERVER:-openldap}

# srv_kind SETUP: the family of a setup.
srv_kind() {
	case $1 in
	openldap) echo openldap ;;
	389 | 389-ipa | 389-nosync) echo 389 ;;
	ad-ou | ad-root) echo ad ;;
	*) return 1 ;;
	esac
}

# srv_require: skip the whole program unless this setup's server can run.
srv_require() {
	SRV_SETUP=$L2I_SERVER
	SRV_KIND=$(srv_kind "$SRV_SETUP") ||
	    skip_all "L2I_SERVER=$SRV_SETUP: not a setup (openldap 389 389-ipa 389-nosync ad-ou ad-root)"
	# slapd.sh is always there (the others' tests use it too); the
	# other rigs are read when their server is wanted.
	case $SRV_KIND in
	openldap) SLAPD_TLS=${SRV_TLS:-0} slapd_require ;;
	389) . "$L2I_TOP/tests/lib/ds389.sh" && ds389_require ;;
	ad) . "$L2I_TOP/tests/lib/samba_ad.sh" && samba_require ;;
	esac
}

# srv_start NAME: this setup's server, its data in $T/NAME.  Knobs:
# SRV_TLS=1 (openldap, 389: a TLS listener; the agent still gets ldap://
# unless the test picks SRV_LDAPS_URI), SRV_LIMITED=1 (the service account
# keeps the server's default limits: slapd's 500, 389's 2000/5000),
# SRV_MEMBEROF=1 (openldap: the memberof overlay, direct membership only;
# 389: the MemberOf plugin, nested membership too; AD has memberOf always
# and ignores it: see SLAPD_MEMBEROF and DS389_MEMBEROF).
srv_start() {
	SRV_DIR=$T/$1
	mkdir -p "$SRV_DIR/dn" || return 1
	case $SRV_KIND in
	openldap)
		SLAPD_TLS=${SRV_TLS:-0} SLAPD_SYNCPROV=1 SLAPD_MEMBEROF=${SRV_MEMBEROF:-0} \
		    SLAPD_AGENT_LIMITED=${SRV_LIMITED:-0} slapd_start "$SRV_DIR/server" || return 1
		;;
	389)
		case $SRV_SETUP in
		389) _ss_sync=plain ;;
		389-ipa) _ss_sync=ipa ;;
		*) _ss_sync=off ;;
		esac
		DS389_SYNC=$_ss_sync DS389_TLS=${SRV_TLS:-0} DS389_MEMBEROF=${SRV_MEMBEROF:-0} \
		    DS389_AGENT_LIMITED=${SRV_LIMITED:-0} ds389_start "$SRV_DIR/server" || return 1
		;;
	ad)
		samba_start "$SRV_DIR/server" || return 1
		;;
	esac
	echo "$SRV_SETUP" >"$SRV_DIR/setup"
	srv_use "$SRV_DIR"
}

# srv_use DIR: export the SRV_* values of the server in DIR.
srv_use() {
	SRV_DIR=$1
	SRV_SETUP=$(cat "$1/setup")
	SRV_KIND=$(srv_kind "$SRV_SETUP")
	case $SRV_KIND in
	openldap)
		slapd_use "$1/server"
		SRV_SUFFIX=$SLAPD_SUFFIX SRV_URI=$SLAPD_URI SRV_LDAPS_URI=$SLAPD_LDAPS_URI
		SRV_CA=${SLAPD_CA:-} SRV_AGENT_DN=$SLAPD_AGENT_DN SRV_AGENT_PW=$SLAPD_AGENT_PW
		SRV_PEOPLE="ou=People,$SLAPD_SUFFIX"
		;;
	389)
		ds389_use "$1/server"
		SRV_SUFFIX=$DS389_SUFFIX SRV_URI=$DS389_URI SRV_LDAPS_URI=${DS389_LDAPS_URI:-}
		SRV_CA=${DS389_CA:-} SRV_AGENT_DN=$DS389_AGENT_DN SRV_AGENT_PW=$DS389_AGENT_PW
		SRV_PEOPLE="ou=People,$DS389_SUFFIX"
		;;
	ad)
		samba_use "$1/server"
		SRV_SUFFIX=$SAMBA_SUFFIX SRV_URI=$SAMBA_URI SRV_LDAPS_URI=$SAMBA_LDAPS_URI
		SRV_CA=$SAMBA_CA SRV_AGENT_DN=$SAMBA_AGENT_DN SRV_AGENT_PW=$SAMBA_AGENT_PW
		SRV_PEOPLE=$SAMBA_PEOPLE
		;;
	esac
	SRV_BASE=$SRV_PEOPLE
	[ "$SRV_SETUP" = ad-root ] && SRV_BASE=$SRV_SUFFIX
	# The user attribute that names a department, for bu_attribute.
	SRV_DEPT=departmentNumber
	[ "$SRV_KIND" = ad ] && SRV_DEPT=department
	export SRV_DIR SRV_SETUP SRV_KIND SRV_SUFFIX SRV_URI SRV_LDAPS_URI SRV_CA \
	    SRV_AGENT_DN SRV_AGENT_PW SRV_PEOPLE SRV_BASE SRV_DEPT
}

# _srv_rig VERB ARGS...: the rig's own VERB (slapd_VERB, ds389_VERB or
# samba_VERB) on this setup's server, as its administrator.
_srv_rig() {
	_srg_verb=$1
	shift
	case $SRV_KIND in
	openldap) slapd_"$_srg_verb" "$SRV_DIR/server" "$@" ;;
	389) ds389_"$_srg_verb" "$SRV_DIR/server" "$@" ;;
	ad) samba_"$_srg_verb" "$SRV_DIR/server" "$@" ;;
	esac
}

# srv_stop; srv_restart: the same server, same address and data, after
# srv_stop.
srv_stop() { _srv_rig stop; }
srv_restart() { _srv_rig restart; }

# srv_add / srv_modify: LDIF on stdin; srv_delete DN...
srv_add() { _srv_rig add; }
srv_modify() { _srv_rig modify; }
srv_delete() { _srv_rig delete "$@"; }

# srv_ou_dn NAME: the DN of the test's OU NAME; "" is where a flat
# directory keeps its users, under no OU of the test's: SRV_PEOPLE, or on
# AD at the domain root, CN=Users (a container, not an OU).
srv_ou_dn() {
	case $SRV_KIND:$1 in
	ad:) [ "$SRV_SETUP" = ad-root ] && echo "CN=Users,$SRV_SUFFIX" || echo "$SRV_PEOPLE" ;;
	*:) echo "$SRV_PEOPLE" ;;
	ad:*) echo "OU=$1,$SRV_PEOPLE" ;;
	*) echo "ou=$1,$SRV_PEOPLE" ;;
	esac
}

# srv_ou_add NAME...: OUs under SRV_PEOPLE.
srv_ou_add() {
	for _so_n in "$@"; do
		printf 'dn: %s\nobjectClass: organizationalUnit\nou: %s\n\n' \
		    "$(srv_ou_dn "$_so_n")" "$_so_n"
	done | srv_add
}

# srv_user_dn UID: the user's DN now.
srv_user_dn() {
	cat "$SRV_DIR/dn/$1"
}

# _srv_user_ldif OU UID: the entry of an enabled user UID in OU.
_srv_user_ldif() {
	_su_ou=$(srv_ou_dn "$1")
	case $SRV_KIND in
	ad)
		_su_dn="CN=$2,$_su_ou"
		printf 'dn: %s\nobjectClass: user\nsAMAccountName: %s\n' "$_su_dn" "$2"
		printf 'userPrincipalName: %s@example.com\ngivenName: User\nsn: %s\n' "$2" "$2"
		printf 'displayName: User %s\nmail: %s@example.com\nuserAccountControl: 512\n\n' \
		    "$2" "$2"
		;;
	*)
		_su_dn="uid=$2,$_su_ou"
		printf 'dn: %s\nobjectClass: inetOrgPerson\nuid: %s\ncn: User %s\n' \
		    "$_su_dn" "$2" "$2"
		printf 'sn: %s\ngivenName: User\nmail: %s@example.com\n\n' "$2" "$2"
		;;
	esac
	echo "$_su_dn" >"$SRV_DIR/dn/$2"
}

# srv_user_add OU UID...: enabled users UID in OU, mail UID@example.com.
srv_user_add() {
	_sua_ou=$1
	shift
	for _sua_u in "$@"; do
		_srv_user_ldif "$_sua_ou" "$_sua_u"
	done >"$SRV_DIR/add.ldif"
	srv_add <"$SRV_DIR/add.ldif"
}

# srv_users_add OU N [START]: N users userNNNNN in OU, numbered from START.
srv_users_add() {
	_sus_i=${3:-1}
	_sus_end=$((_sus_i + $2))
	: >"$SRV_DIR/add.ldif"
	while [ "$_sus_i" -lt "$_sus_end" ]; do
		_srv_user_ldif "$1" "$(printf 'user%05d' "$_sus_i")" >>"$SRV_DIR/add.ldif"
		_sus_i=$((_sus_i + 1))
	done
	srv_add <"$SRV_DIR/add.ldif"
}

# _srv_modify_user UID LDIF-LINES: one modify of the user's entry.
_srv_modify_user() {
	printf 'dn: %s\nchangetype: modify\n%s\n\n' "$(srv_user_dn "$1")" "$2" | srv_modify
}

# srv_user_disable UID / srv_user_enable UID: in the server's own way.
srv_user_disable() {
	case $SRV_KIND in
	openldap) _srv_modify_user "$1" "add: employeeType
employeeType: disabled" ;;
	389) _srv_modify_user "$1" "replace: nsAccountLock
nsAccountLock: true" ;;
	ad) samba_user_disable "$SRV_DIR/server" "$(srv_user_dn "$1")" ;;
	esac
}

srv_user_enable() {
	case $SRV_KIND in
	openldap) _srv_modify_user "$1" "delete: employeeType" ;;
	389) _srv_modify_user "$1" "delete: nsAccountLock" ;;
	ad) samba_user_enable "$SRV_DIR/server" "$(srv_user_dn "$1")" ;;
	esac
}

# srv_user_set UID ATTR VALUE: ATTR := VALUE on the user's entry.
srv_user_set() {
	_srv_modify_user "$1" "replace: $2
$2: $3"
}

# srv_user_mail UID MAIL: a new e-mail address.
srv_user_mail() {
	_srv_modify_user "$1" "replace: mail
mail: $2"
}

# srv_user_delete UID
srv_user_delete() {
	srv_delete "$(srv_user_dn "$1")" && rm -f "$SRV_DIR/dn/$1"
}

# _srv_rdn_attr: the attribute of a user's RDN.
_srv_rdn_attr() {
	case $SRV_KIND in
	ad) echo CN ;;
	*) echo uid ;;
	esac
}

# srv_user_move UID OU: the same entry under another OU (a modrdn with a
# new superior: the id stays).
srv_user_move() {
	_sm_dn=$(srv_user_dn "$1")
	_sm_rdn=${_sm_dn%%,*}
	printf 'dn: %s\nchangetype: modrdn\nnewrdn: %s\ndeleteoldrdn: 1\nnewsuperior: %s\n\n' \
	    "$_sm_dn" "$_sm_rdn" "$(srv_ou_dn "$2")" | srv_modify || return 1
	echo "$_sm_rdn,$(srv_ou_dn "$2")" >"$SRV_DIR/dn/$1"
}

# srv_user_rename UID NEWRDNVALUE: a new RDN in the same OU.
srv_user_rename() {
	_sr_dn=$(srv_user_dn "$1")
	_sr_rdn="$(_srv_rdn_attr)=$2"
	printf 'dn: %s\nchangetype: modrdn\nnewrdn: %s\ndeleteoldrdn: 1\n\n' "$_sr_dn" "$_sr_rdn" |
	    srv_modify || return 1
	echo "$_sr_rdn,${_sr_dn#*,}" >"$SRV_DIR/dn/$1"
}

# srv_config FILE: write_config (common.sh) for this server; the test's
# CFG_LDAP_EXTRA lines come after the server's.  SRV_AGENT_URI overrides
# the URI (e.g. SRV_LDAPS_URI), SRV_USER_FILTER the user filter.
srv_config() {
	case $SRV_KIND in
	openldap)
		_sc_filter='(objectClass=inetOrgPerson)' _sc_id=entryUUID
		_sc_dis='(employeeType=disabled)' _sc_uri=$SRV_URI _sc_extra=
		;;
	389)
		_sc_filter='(objectClass=inetOrgPerson)' _sc_id=nsUniqueId
		_sc_dis='(nsAccountLock=true)' _sc_uri=$SRV_URI _sc_extra=
		;;
	ad)
		_sc_filter='(&(objectCategory=person)(objectClass=user))' _sc_id=objectGUID
		_sc_dis='(userAccountControl:1.2.840.113556.1.4.803:=2)' _sc_uri=$SRV_LDAPS_URI
		# AD's cn is the RDN; its display name is displayName ("User
		# UID", as the other servers' cn).
		_sc_extra='name_attribute = displayName'
		;;
	esac
	CFG_URI=${SRV_AGENT_URI:-$_sc_uri} CFG_BIND_DN=${CFG_BIND_DN-$SRV_AGENT_DN} \
	    CFG_BIND_PW=${CFG_BIND_PW-$SRV_AGENT_PW} CFG_CA=${CFG_CA-$SRV_CA} \
	    CFG_BASE_DN=$SRV_BASE CFG_USER_FILTER=${SRV_USER_FILTER:-$_sc_filter} \
	    CFG_ID_ATTRIBUTE=$_sc_id \
	    CFG_LDAP_EXTRA="disabled_filter = $_sc_dis${_sc_extra:+
$_sc_extra}${CFG_LDAP_EXTRA:+
$CFG_LDAP_EXTRA}" write_config "$1"
}

# srv_read_mode: how the last run read the directory, from its log ($T/err):
# incremental, full, or none.
srv_read_mode() {
	if grep -q 'directory read incremental' "$T/err"; then
		echo incremental
	elif grep -q 'directory read in full' "$T/err"; then
		echo full
	else
		echo "none (no 'directory read' line)"
	fi
}

# srv_incremental: true where this setup's reads become incremental once
# the server earned trust (SPEC.md, Trust): OpenLDAP's (RFC 4533) and
# AD's (DirSync).
srv_incremental() {
	[ "$SRV_KIND" = openldap ] || [ "$SRV_KIND" = ad ]
}

# srv_earn_trust UID CONFIG: where reads can be incremental, a change the
# agent does not send (the user's display name: cn, AD's displayName) and
# a sync, so the audit trusts the server (slapd_earn_trust); elsewhere
# nothing.
srv_earn_trust() {
	case $SRV_KIND in
	openldap) slapd_earn_trust "$SRV_DIR/server" "$(srv_user_dn "$1")" "$2" ;;
	ad)
		srv_user_set "$1" displayName "Audited $(rand_hex 3)" || return 1
		run_agent -c "$2" sync
		;;
	esac
}

# --- groups -------------------------------------------------------------------
#
# Groups are named by a short NAME and live in one OU of their own beside
# ou=People: ou=Groups,$SRV_SUFFIX (AD: OU=Groups), made by the first
# srv_group_add.  So they are outside the agent's base_dn, except on
# ad-root, whose base_dn is the domain root.  A MEMBER is a user's UID (its
# DN from srv_user_dn) or @NAME, the group NAME: a nested group, which
# need not exist yet (add A with @B, then B with @A: a cycle).  The class
# each group was made with is kept in $SRV_DIR/group/NAME.
#
#	openldap, 389	groupOfNames with member; SRV_GROUP_CLASS=
#			groupOfUniqueNames: uniqueMember instead
#	AD		group (a global security group, Samba's default),
#			sAMAccountName NAME, with member
#
# An empty group, as each server takes it (measured): 389's schema makes
# member and uniqueMember optional, and so does AD's: the group has no
# member value.  OpenLDAP's core schema makes them a MUST: there a group
# left with no member holds its own DN instead, as the one placeholder
# member.  The agent counts only members under base_dn, which ou=Groups
# is not on OpenLDAP; a member added later replaces the placeholder.  (A
# group that names itself on purpose cannot be told from one.)
#
# AD refuses a member value naming no entry (32, "specified dn doesn't
# exist"); OpenLDAP and 389 store it as given.  So on AD an @NAME not yet
# made waits in $SRV_DIR/group-wait/NAME, and srv_group_add NAME adds it
# to the groups waiting for it.
#
# srv_group_posix makes the other kind, a posixGroup naming its members by
# uid (memberUid), which the agent refuses (OpenLDAP and 389 only).
#
# The agent's account reads the groups on every setup, with no change to
# the rigs (tests/integration/rig_groups.sh checks it): slapd's ACL lets
# any bound DN read all but passwords, 389's ACI on the suffix lets the
# agent read all but userPassword (memberOf included: a user attribute on
# 389), and AD lets Authenticated Users read groups, member included.

# srv_group_dn NAME: the DN of group NAME.
srv_group_dn() {
	case $SRV_KIND in
	ad) echo "CN=$1,OU=Groups,$SRV_SUFFIX" ;;
	*) echo "cn=$1,ou=Groups,$SRV_SUFFIX" ;;
	esac
}

# _srv_groups_ou: the OU of the groups, made if the server lacks it.
_srv_groups_ou() {
	[ -f "$SRV_DIR/group/.ou" ] && return 0
	mkdir -p "$SRV_DIR/group" "$SRV_DIR/group-wait" || return 1
	_sgo_dn=$(srv_group_dn x)
	_sgo_dn=${_sgo_dn#*,}
	if ! _srv_rig search -b "$_sgo_dn" -s base 1.1 >/dev/null 2>&1; then
		printf 'dn: %s\nobjectClass: organizationalUnit\nou: Groups\n\n' "$_sgo_dn" |
		    srv_add || return 1
	fi
	: >"$SRV_DIR/group/.ou"
}

# _srv_group_class NAME: the class group NAME was made with.
_srv_group_class() {
	if [ ! -f "$SRV_DIR/group/$1" ]; then
		echo "srv_group: no group $1 (srv_group_add makes one)" >&2
		return 1
	fi
	cat "$SRV_DIR/group/$1"
}

# _srv_group_attr CLASS: the attribute that holds CLASS's members.
_srv_group_attr() {
	case $1 in
	groupOfUniqueNames) echo uniqueMember ;;
	posixGroup) echo memberUid ;;
	*) echo member ;;
	esac
}

# _srv_group_placeholder CLASS: true where a group of CLASS may not be
# empty (OpenLDAP's groupOfNames and groupOfUniqueNames).
_srv_group_placeholder() {
	[ "$SRV_KIND" = openldap ] && [ "$1" != posixGroup ]
}

# _srv_lc: stdin in lower case.  DNs compare so here: the test's names
# are plain ASCII.
_srv_lc() {
	tr '[:upper:]' '[:lower:]'
}

# _srv_group_values NAME ATTR: group NAME's ATTR values now, as the
# administrator reads them, one a line, _srv_lc.
_srv_group_values() {
	_srv_rig search -b "$(srv_group_dn "$1")" -s base "$2" |
	    awk -v a="$(echo "$2" | _srv_lc)" '{
		i = index($0, ": ")
		if (i && tolower(substr($0, 1, i - 1)) == a)
			print tolower(substr($0, i + 2))
	}'
}

# _srv_group_members NAME CLASS OP MEMBER...: the "ATTR: value" lines for
# MEMBERs, on stdout.  On AD an @GROUP not made yet is not printed: with
# OP add, NAME goes on its wait list; with OP del, comes off it.
_srv_group_members() {
	_sgm_g=$1 _sgm_c=$2 _sgm_op=$3
	shift 3
	_sgm_a=$(_srv_group_attr "$_sgm_c")
	for _sgm_m in "$@"; do
		case $_sgm_c:$_sgm_m in
		posixGroup:@*)
			echo "srv_group: posixGroup $_sgm_g names users by uid, not $_sgm_m" >&2
			return 1
			;;
		*:@*)
			_sgm_n=${_sgm_m#@}
			if [ "$SRV_KIND" = ad ] && [ ! -f "$SRV_DIR/group/$_sgm_n" ]; then
				_sgm_w=$SRV_DIR/group-wait/$_sgm_n
				touch "$_sgm_w" && grep -vxF "$_sgm_g" "$_sgm_w" >"$_sgm_w.new"
				[ "$_sgm_op" = add ] && echo "$_sgm_g" >>"$_sgm_w.new"
				mv "$_sgm_w.new" "$_sgm_w" || return 1
				continue
			fi
			echo "$_sgm_a: $(srv_group_dn "$_sgm_n")"
			;;
		posixGroup:*)
			echo "$_sgm_a: $_sgm_m"
			;;
		*)
			if [ ! -f "$SRV_DIR/dn/$_sgm_m" ]; then
				echo "srv_group: no user $_sgm_m (srv_user_add makes one)" >&2
				return 1
			fi
			echo "$_sgm_a: $(srv_user_dn "$_sgm_m")"
			;;
		esac
	done
}

# _srv_group_unwait NAME: NAME off every wait list (it is gone or empty).
_srv_group_unwait() {
	for _sgu_w in "$SRV_DIR"/group-wait/*; do
		[ -f "$_sgu_w" ] || continue
		grep -vxF "$1" "$_sgu_w" >"$_sgu_w.new"
		mv "$_sgu_w.new" "$_sgu_w"
	done
}

# _srv_group_modify NAME CHANGES: one modify of group NAME.
_srv_group_modify() {
	printf 'dn: %s\nchangetype: modify\n%s\n\n' "$(srv_group_dn "$1")" "$2" | srv_modify
}

# srv_group_add NAME [MEMBER...]: group NAME with these members (see above
# for MEMBER, the class and an empty group); the OU of the groups too, the
# first time.
srv_group_add() {
	_sga_n=$1
	shift
	_sga_c=${SRV_GROUP_CLASS:-groupOfNames}
	[ "$SRV_KIND" = ad ] && _sga_c=group
	case $_sga_c in
	group | groupOfNames | groupOfUniqueNames) ;;
	*)
		echo "srv_group_add: SRV_GROUP_CLASS=$_sga_c: want groupOfNames or groupOfUniqueNames" >&2
		return 1
		;;
	esac
	_srv_groups_ou || return 1
	_sga_dn=$(srv_group_dn "$_sga_n")
	_sga_a=$(_srv_group_attr "$_sga_c")
	_srv_group_members "$_sga_n" "$_sga_c" add "$@" >"$SRV_DIR/group.ldif" ||
	    return 1
	if [ ! -s "$SRV_DIR/group.ldif" ] && _srv_group_placeholder "$_sga_c"; then
		echo "$_sga_a: $_sga_dn" >"$SRV_DIR/group.ldif"
	fi
	{
		printf 'dn: %s\nobjectClass: %s\ncn: %s\n' "$_sga_dn" "$_sga_c" "$_sga_n"
		[ "$SRV_KIND" = ad ] && echo "sAMAccountName: $_sga_n"
		cat "$SRV_DIR/group.ldif"
		echo
	} | srv_add || return 1
	echo "$_sga_c" >"$SRV_DIR/group/$_sga_n"
	# The groups that named this one before it was made (AD).
	[ -s "$SRV_DIR/group-wait/$_sga_n" ] || return 0
	while read -r _sga_w; do
		_srv_group_modify "$_sga_w" "add: member
member: $_sga_dn" || return 1
	done <"$SRV_DIR/group-wait/$_sga_n"
	rm -f "$SRV_DIR/group-wait/$_sga_n"
}

# srv_group_member_add NAME MEMBER...: more members, in one modify (which,
# on OpenLDAP, also takes the placeholder out).
srv_group_member_add() {
	_sgma_n=$1
	shift
	_sgma_c=$(_srv_group_class "$_sgma_n") || return 1
	_sgma_a=$(_srv_group_attr "$_sgma_c")
	_sgma_l=$(_srv_group_members "$_sgma_n" "$_sgma_c" add "$@") || return 1
	[ -n "$_sgma_l" ] || return 0
	_sgma_ch="add: $_sgma_a
$_sgma_l"
	# The placeholder goes, unless the group is one of those added.
	_sgma_self="$_sgma_a: $(srv_group_dn "$_sgma_n")"
	if _srv_group_placeholder "$_sgma_c" &&
	    _srv_group_values "$_sgma_n" "$_sgma_a" |
	    grep -qxF "$(echo "${_sgma_self#*: }" | _srv_lc)" &&
	    ! printf '%s\n' "$_sgma_l" | _srv_lc |
	    grep -qxF "$(echo "$_sgma_self" | _srv_lc)"; then
		_sgma_ch="$_sgma_ch
-
delete: $_sgma_a
$_sgma_self"
	fi
	_srv_group_modify "$_sgma_n" "$_sgma_ch"
}

# srv_group_member_del NAME MEMBER...: fewer members, in one modify; on
# OpenLDAP one that would leave none leaves the placeholder.
srv_group_member_del() {
	_sgmd_n=$1
	shift
	_sgmd_c=$(_srv_group_class "$_sgmd_n") || return 1
	_sgmd_a=$(_srv_group_attr "$_sgmd_c")
	_sgmd_l=$(_srv_group_members "$_sgmd_n" "$_sgmd_c" del "$@") || return 1
	[ -n "$_sgmd_l" ] || return 0
	_sgmd_ch="delete: $_sgmd_a
$_sgmd_l"
	if _srv_group_placeholder "$_sgmd_c"; then
		# What is left: the values now less those deleted.  slapd checks
		# the schema after the whole modify, so delete, then add.
		printf '%s\n' "$_sgmd_l" | sed 's/^[^:]*: //' | _srv_lc >"$SRV_DIR/group.del"
		if ! _srv_group_values "$_sgmd_n" "$_sgmd_a" |
		    grep -qvxF -f "$SRV_DIR/group.del"; then
			_sgmd_ch="$_sgmd_ch
-
add: $_sgmd_a
$_sgmd_a: $(srv_group_dn "$_sgmd_n")"
		fi
	fi
	_srv_group_modify "$_sgmd_n" "$_sgmd_ch"
}

# srv_group_empty NAME: every member out at once (OpenLDAP: all but the
# placeholder).
srv_group_empty() {
	_sge_c=$(_srv_group_class "$1") || return 1
	_sge_a=$(_srv_group_attr "$_sge_c")
	[ "$SRV_KIND" = ad ] && _srv_group_unwait "$1"
	if _srv_group_placeholder "$_sge_c"; then
		_srv_group_modify "$1" "replace: $_sge_a
$_sge_a: $(srv_group_dn "$1")"
	else
		_srv_group_modify "$1" "replace: $_sge_a
-"
	fi
}

# srv_group_delete NAME
srv_group_delete() {
	_srv_group_class "$1" >/dev/null || return 1
	srv_delete "$(srv_group_dn "$1")" || return 1
	rm -f "$SRV_DIR/group/$1"
	[ "$SRV_KIND" = ad ] && _srv_group_unwait "$1"
	return 0
}

# srv_group_posix NAME UID...: a posixGroup NAME where srv_group_dn puts
# groups, gidNumber 5000 and up, a memberUid for each UID (the agent
# refuses such a group).  OpenLDAP and 389 only: AD's posixGroup is an
# auxiliary class of its RFC 2307 schema, not a group kind of its own.
srv_group_posix() {
	if [ "$SRV_KIND" = ad ]; then
		echo "srv_group_posix: no posixGroup on AD ($SRV_SETUP): its groups are objectClass group" >&2
		return 1
	fi
	_sgp_n=$1
	shift
	_srv_groups_ou || return 1
	_sgp_gid=$(cat "$SRV_DIR/group/.gid" 2>/dev/null || echo 5000)
	{
		printf 'dn: %s\nobjectClass: posixGroup\ncn: %s\ngidNumber: %s\n' \
		    "$(srv_group_dn "$_sgp_n")" "$_sgp_n" "$_sgp_gid"
		_srv_group_members "$_sgp_n" posixGroup add "$@" || return 1
		echo
	} >"$SRV_DIR/group.ldif" || return 1
	srv_add <"$SRV_DIR/group.ldif" || return 1
	echo posixGroup >"$SRV_DIR/group/$_sgp_n"
	echo $((_sgp_gid + 1)) >"$SRV_DIR/group/.gid"
}
