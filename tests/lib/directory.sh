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
# keeps the server's default limits: slapd's 500, 389's 2000/5000).
srv_start() {
	SRV_DIR=$T/$1
	mkdir -p "$SRV_DIR/dn" || return 1
	case $SRV_KIND in
	openldap)
		SLAPD_TLS=${SRV_TLS:-0} SLAPD_SYNCPROV=1 \
		    SLAPD_AGENT_LIMITED=${SRV_LIMITED:-0} slapd_start "$SRV_DIR/server" || return 1
		;;
	389)
		case $SRV_SETUP in
		389) _ss_sync=plain ;;
		389-ipa) _ss_sync=ipa ;;
		*) _ss_sync=off ;;
		esac
		DS389_SYNC=$_ss_sync DS389_TLS=${SRV_TLS:-0} \
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
# CFG_LDAP_EXTRA lines come after the server's and win.  SRV_AGENT_URI
# overrides the URI (e.g. SRV_LDAPS_URI).
srv_config() {
	case $SRV_KIND in
	openldap)
		_sc_filter='(objectClass=inetOrgPerson)' _sc_id=entryUUID
		_sc_dis='(employeeType=disabled)' _sc_uri=$SRV_URI
		;;
	389)
		_sc_filter='(objectClass=inetOrgPerson)' _sc_id=nsUniqueId
		_sc_dis='(nsAccountLock=true)' _sc_uri=$SRV_URI
		;;
	ad)
		_sc_filter='(&(objectCategory=person)(objectClass=user))' _sc_id=objectGUID
		_sc_dis='(userAccountControl:1.2.840.113556.1.4.803:=2)' _sc_uri=$SRV_LDAPS_URI
		;;
	esac
	CFG_URI=${SRV_AGENT_URI:-$_sc_uri} CFG_BIND_DN=${CFG_BIND_DN-$SRV_AGENT_DN} \
	    CFG_BIND_PW=${CFG_BIND_PW-$SRV_AGENT_PW} CFG_CA=${CFG_CA-$SRV_CA} \
	    CFG_BASE_DN=$SRV_BASE CFG_USER_FILTER=$_sc_filter CFG_ID_ATTRIBUTE=$_sc_id \
	    CFG_LDAP_EXTRA="disabled_filter = $_sc_dis${CFG_LDAP_EXTRA:+
$CFG_LDAP_EXTRA}" write_config "$1"
}

# srv_incremental: true where this setup's reads become incremental once
# the server earned trust (SPEC.md, Trust): only OpenLDAP's.
srv_incremental() {
	[ "$SRV_KIND" = openldap ]
}

# srv_earn_trust UID CONFIG: where reads can be incremental, a change the
# agent does not send (the user's cn) and a sync, so the audit trusts the
# server (slapd_earn_trust); elsewhere nothing.
srv_earn_trust() {
	srv_incremental || return 0
	slapd_earn_trust "$SRV_DIR/server" "$(srv_user_dn "$1")" "$2"
}
