#!/usr/bin/python3
# tests/lib/samba_setup.py: fill a stopped test domain (for tests/lib/samba_ad.sh)
#
# Usage (Debian's /usr/bin/python3, which sees python3-samba):
#	samba_setup.py finish SMB_CONF AGENT_DN AGENT_PW_FILE
#	samba_setup.py load SMB_CONF LDIF_FILE
#
# Both write sam.ldb directly: the server must not be running.  "load"
# adds the LDIF's entries as the system (SAMBA_PRELOAD).  "finish", in one
# transaction:
#  - OU=People, empty: the tests' users go there;
#  - OU=Services and the service account AGENT_DN: an ordinary Domain User,
#    no admin, as a customer's would be, whose password never expires;
#  - Administrator's password never expires either.
# A cached domain is copied for weeks, and AD's default maximum password
# age (42 days) would then refuse the binds of the rig's two accounts.

import sys

from samba.auth import system_session
from samba.param import LoadParm
from samba.samdb import SamDB

UF_NORMAL_ACCOUNT = 0x200
UF_DONT_EXPIRE_PASSWD = 0x10000


def open_db(conf):
    lp = LoadParm()
    lp.load(conf)
    return lp, SamDB(url=lp.samdb_url(), session_info=system_session(), lp=lp)


def load(conf, ldif):
    with open(ldif, encoding="utf-8") as f:
        text = f.read()
    _, db = open_db(conf)
    db.add_ldif(text)


def finish(conf, agent_dn, pw_file):
    with open(pw_file, encoding="utf-8") as f:
        agent_pw = f.read()
    lp, db = open_db(conf)
    base = str(db.domain_dn())
    sam = agent_dn.split(",", 1)[0].split("=", 1)[1]
    flags = str(UF_NORMAL_ACCOUNT | UF_DONT_EXPIRE_PASSWD)
    db.transaction_start()
    try:
        for ou in ("People", "Services"):
            db.add({"dn": "OU=%s,%s" % (ou, base),
                    "objectClass": "organizationalUnit"})
        db.add({"dn": agent_dn,
                "objectClass": "user",
                "sAMAccountName": sam,
                "userPrincipalName": "%s@%s" % (sam, lp.get("realm").lower()),
                "description": "the ldap2imocha service account",
                "unicodePwd": [('"%s"' % agent_pw).encode("utf-16-le")],
                "userAccountControl": flags})
        db.modify_ldif("dn: CN=Administrator,CN=Users,%s\n"
                       "changetype: modify\n"
                       "replace: userAccountControl\n"
                       "userAccountControl: %s\n" % (base, flags))
    except Exception:
        db.transaction_cancel()
        raise
    db.transaction_commit()


def main():
    if len(sys.argv) == 5 and sys.argv[1] == "finish":
        finish(*sys.argv[2:])
    elif len(sys.argv) == 4 and sys.argv[1] == "load":
        load(*sys.argv[2:])
    else:
        sys.exit("usage: samba_setup.py finish SMB_CONF AGENT_DN AGENT_PW_FILE\n"
                 "       samba_setup.py load SMB_CONF LDIF_FILE")


if __name__ == "__main__":
    main()
