#!/usr/bin/python3
"""bench/util.py: small helpers for bench/run.sh (Python 3 stdlib only).

The users are those tests/lib/slapd.sh gen_users makes: number I is
uid=userNNNNN (I printed with at least five digits), mail
userNNNNN@example.com, cn "User NNNNN".

  util.py preload URL N BU_ID
      POST users 1..N to the fake iMocha at URL (/_fake/users, in chunks)
      as already in iMocha, active, in business unit BU_ID.
  util.py csv N BU_NAME
      print an iMocha user export of users 1..N (email,business_unit,status)
      for `ldap2imocha adopt`.
  util.py edits N COUNT RUN PARENT_DN
  util.py renames N COUNT RUN PARENT_DN   (display names: cn)
      print LDIF that sets description to "bench run RUN" on COUNT users
      spread evenly over 1..N under PARENT_DN.
  util.py writes URL
      print the number of POST requests to /v3 the fake has seen.
  util.py creates URL
      print "CREATED REQUESTS N429 FIRST LAST": creates answered 200, all
      /v3 requests, those answered 429, and the arrival times (unix
      seconds) of the first and last successful create (0 0 if none).
"""

import json
import sys
import urllib.request

CHUNK = 20000


def uname(i):
    return "user%05d" % i


def call(url, method, path, body=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url.rstrip("/") + path, data=data,
                                 method=method)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(req, timeout=300) as r:
        return json.loads(r.read().decode())


def preload(url, n, bu):
    for lo in range(1, n + 1, CHUNK):
        users = [{"email": uname(i) + "@example.com",
                  "fullName": "User %05d" % i, "businessunitId": bu,
                  "status": "Active"}
                 for i in range(lo, min(n, lo + CHUNK - 1) + 1)]
        call(url, "POST", "/_fake/users", {"users": users})


def csv(n, bu_name):
    out = sys.stdout
    out.write("email,business_unit,status\n")
    for i in range(1, n + 1):
        out.write("%s@example.com,%s,Active\n" % (uname(i), bu_name))


def edits(n, count, run, parent, attr="description"):
    step = max(1, n // count)
    for k in range(min(count, n)):
        sys.stdout.write("dn: uid=%s,%s\nchangetype: modify\n"
                         "replace: %s\n%s: bench run %s\n"
                         "-\n\n" % (uname(1 + k * step), parent, attr, attr,
                                     run))


def v3_requests(url):
    return call(url, "GET", "/_fake/requests")["requests"]


def writes(url):
    print(sum(1 for r in v3_requests(url) if r["method"] == "POST"))


def creates(url):
    reqs = v3_requests(url)
    ok = [r["time"] for r in reqs if r["path"] == "/v3/accounts/user/create"
          and r["status"] == 200]
    n429 = sum(1 for r in reqs if r["status"] == 429)
    print("%d %d %d %.6f %.6f" % (len(ok), len(reqs), n429,
                                  min(ok, default=0), max(ok, default=0)))


def main(argv):
    cmd, args = argv[0], argv[1:]
    if cmd == "preload":
        preload(args[0], int(args[1]), int(args[2]))
    elif cmd == "csv":
        csv(int(args[0]), args[1])
    elif cmd == "edits":
        edits(int(args[0]), int(args[1]), args[2], args[3])
    elif cmd == "renames":
        edits(int(args[0]), int(args[1]), args[2], args[3], "cn")
    elif cmd == "writes":
        writes(args[0])
    elif cmd == "creates":
        creates(args[0])
    else:
        sys.exit("util.py: unknown command " + cmd)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
