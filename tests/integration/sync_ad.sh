#!/bin/sh
# sync_ad: an Active Directory-shaped directory on slapd: users keyed by a
# binary objectGUID (stored as the GUID string AD tools show), disabled
# accounts filtered out by the bit-and rule on userAccountControl.
. "$L2I_TOP/tests/lib/common.sh"
. "$L2I_TOP/tests/lib/slapd.sh"
t_setup
SLAPD_AD=1 slapd_start "$T/ldap" || skip_all "slapd could not start"
fake_start "$T/fake" --bu 7:Finance || { not_ok "fake iMocha starts"; t_done; }
P=ou=People,dc=example,dc=com
# objectGUID 2b1a4e8f-... as AD stores it: the first three groups little-endian.
# base64 of bytes 8f4e1a2b 3c4d 5e6f 7081 92a3b4c5d6e7 laid out as AD does:
guid_b64=$(printf '\053\032\116\217\115\074\157\136\160\201\222\243\264\305\326\347' | base64)
guid2_b64=$(printf '\001\002\003\004\005\006\007\010\011\012\013\014\015\016\017\020' | base64)
slapd_add "$T/ldap" <<EOF
dn: ou=Finance,$P
objectClass: organizationalUnit
ou: Finance

dn: cn=Ann Active,ou=Finance,$P
objectClass: inetOrgPerson
objectClass: adTestUser
cn: Ann Active
sn: Active
displayName: Ann Active
mail: ann@corp.example.com
sAMAccountName: ann
userAccountControl: 512
objectGUID:: $guid_b64

dn: cn=Dan Disabled,ou=Finance,$P
objectClass: inetOrgPerson
objectClass: adTestUser
cn: Dan Disabled
sn: Disabled
mail: dan@corp.example.com
sAMAccountName: dan
userAccountControl: 514
objectGUID:: $guid2_b64
EOF
check_eq "AD-shaped entries load" "$?" 0

CFG_ID_ATTRIBUTE=objectGUID \
CFG_USER_FILTER="(&(objectClass=inetOrgPerson)(sAMAccountName=*))" \
CFG_LDAP_EXTRA="disabled_filter = (userAccountControl:1.2.840.113556.1.4.803:=2)
name_attribute = displayName" write_config "$T/agent.ini"

run_agent -c "$T/agent.ini" sync
check_eq "AD sync exits 0" "$RC" 0 || sed 's/^/# /' "$T/err"
check_eq "only the enabled account is created" "$(fake_users_emails | tr '\n' ' ')" \
    "ann@corp.example.com "
check_eq "created in the OU's business unit" "$(fake_user_field ann@corp.example.com businessunitId)" 7
check_eq "objectGUID is stored as AD shows it" \
    "$(sqlite3 "$T/state.db" "SELECT entry_id FROM imocha_user WHERE email_key='ann@corp.example.com'")" \
    "8f4e1a2b-3c4d-5e6f-7081-92a3b4c5d6e7"
check_eq "the mirror holds only in-scope entries" \
    "$(sqlite3 "$T/state.db" "SELECT count(*) FROM directory_entry")" 1

# Re-enable Dan: he joins on the next run.
slapd_modify "$T/ldap" <<EOF
dn: cn=Dan Disabled,ou=Finance,$P
changetype: modify
replace: userAccountControl
userAccountControl: 512
EOF
run_agent -c "$T/agent.ini" sync
check_eq "a re-enabled account is created" "$(fake_user_field dan@corp.example.com createCount)" 1
check_eq "its binary GUID that is no text becomes the GUID form" \
    "$(sqlite3 "$T/state.db" "SELECT entry_id FROM imocha_user WHERE email_key='dan@corp.example.com'")" \
    "04030201-0605-0807-090a-0b0c0d0e0f10"
t_done
