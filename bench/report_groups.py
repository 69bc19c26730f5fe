#!/usr/bin/python3
"""bench/report_groups.py: the data and the table of bench/groups.sh, the
"Scope by group" rows of `make bench` (Python 3 stdlib only).

  report_groups.py gen --users N --groups G --changes R --suffix DN --dir DIR
      The directory, shaped like a company (below): DIR/dir.ldif (for
      slapadd), DIR/users (one line per user: "I BU_ID BU_NAME IN_SCOPE"),
      DIR/changes (R lines "USER_DN<TAB>GROUP_DN": a user out of scope, a
      leaf group reached from the top group), DIR/audit_dn (a user in
      scope), and its shape as KEY=VALUE lines on stdout (group.*).
  report_groups.py bus
      The fake iMocha's --bu arguments, one a line.
  report_groups.py preload URL DIR all|scope
      POST those users (all of them, or those in scope) to the fake iMocha
      at URL as already there, active, in their OU's business unit.
  report_groups.py csv DIR all|scope
      iMocha's user export of the same users, for `ldap2imocha adopt`.
  report_groups.py debuglog FILE
      What one run's debug log (-v) says of the group read, as facts.
  report_groups.py wire FILE PORT SUFFIX
      The LDAP requests in an strace of one run (write/send* to PORT, hex
      dumped with -xx), counted by kind, as facts.
  report_groups.py report --results FILE --facts FILE --out BENCHMARKS.md
      Prints the table; replaces the "## Scope by group" section of --out
      (up to the next "## " heading), or appends it; the rest stays.

The shape, for G groups (G >= 200) and N users: D = G // 100 departments,
each nesting 20 teams, each team nesting about (G - 1 - 21 D) / 20 D
projects (the leaf groups), and "cn=iMocha Users" nesting the even-numbered
departments (half).  Users are numbered 1..N (uid=userNNNNN, as bench/run.sh
makes them); each belongs to one department (contiguous blocks), sits in
its department's OU under ou=People (Engineering, Sales, Support, Finance:
the business units), and is a direct member of 1 to 3 projects, the first
of its own department, the others of it 85 % of the time, else of any.
Three cycles: dept-00 names cn=iMocha Users, a project of dept-00 names
dept-00 (both reached from the top group), and two groups of dept-01 name
each other.  Random choices come from a fixed seed: the same N and G give
the same directory.
"""

import argparse
import json
import os
import random
import re
import statistics
import sys
import urllib.request

from report_servers import read_facts

OUS = [(101, "Engineering"), (102, "Sales"), (103, "Support"),
       (104, "Finance")]
TOP = "iMocha Users"
TEAMS_PER_DEPT = 20
SEED = 15
SECTION = "## Scope by group"
DATA_RE = re.compile(r"^<!-- bench-groups (\{.*\}) -->$", re.M)
MIB = 1024.0
CHUNK = 20000


def uname(i):
    return "user%05d" % i


# --- the directory -------------------------------------------------------------

class Shape:
    def __init__(self, n, g, suffix):
        self.n, self.g, self.suffix = n, g, suffix
        self.people = "ou=People," + suffix
        self.groups_ou = "ou=Groups," + suffix
        self.d = g // 100
        self.t = self.d * TEAMS_PER_DEPT
        self.p = g - 1 - self.d - self.t
        self.members = {}       # group cn -> [member DN]
        self.order = []         # group cns, in LDIF order

    def gdn(self, cn):
        return "cn=%s,%s" % (cn, self.groups_ou)

    def dept_ou(self, d):
        return OUS[(d // 2) % len(OUS)]

    def dept_of(self, i):
        return (i - 1) * self.d // self.n

    def udn(self, i):
        return "uid=%s,ou=%s,%s" % (uname(i), self.dept_ou(self.dept_of(i))[1],
                                    self.people)

    def add(self, cn, members):
        self.order.append(cn)
        self.members[cn] = list(members)

    def build(self):
        rng = random.Random(SEED)
        dept = ["dept-%02d" % d for d in range(self.d)]
        team = ["team-%02d-%02d" % (t // TEAMS_PER_DEPT, t % TEAMS_PER_DEPT)
                for t in range(self.t)]
        proj = []
        team_projs = [[] for _ in range(self.t)]
        for p in range(self.p):
            t = p % self.t
            cn = "%s-%d" % (team[t].replace("team", "proj"), p // self.t)
            proj.append(cn)
            team_projs[t].append(p)
        dept_projs = [[] for _ in range(self.d)]
        for p in range(self.p):
            dept_projs[(p % self.t) // TEAMS_PER_DEPT].append(p)
        pmembers = [[] for _ in range(self.p)]
        for i in range(1, self.n + 1):
            home = self.dept_of(i)
            k = rng.choices((1, 2, 3), (0.45, 0.35, 0.20))[0]
            mine = [rng.choice(dept_projs[home])]
            for _ in range(k - 1):
                d = home if rng.random() < 0.85 else rng.randrange(self.d)
                p = rng.choice(dept_projs[d])
                if p not in mine:
                    mine.append(p)
            for p in mine:
                pmembers[p].append(self.udn(i))
        self.add(TOP, [self.gdn(dept[d]) for d in range(0, self.d, 2)])
        for d in range(self.d):
            self.add(dept[d], [self.gdn(team[t]) for t in
                               range(d * TEAMS_PER_DEPT, (d + 1) * TEAMS_PER_DEPT)])
        for t in range(self.t):
            self.add(team[t], [self.gdn(proj[p]) for p in team_projs[t]])
        for p in range(self.p):
            # groupOfNames must name a member: a project nobody drew (a
            # tiny N) names itself, as OpenLDAP's empty groups do.
            self.add(proj[p], pmembers[p] or [self.gdn(proj[p])])
        # The cycles.
        self.members[dept[0]].append(self.gdn(TOP))
        self.members[proj[team_projs[0][0]]].append(self.gdn(dept[0]))
        self.cycles = 2
        if self.d > 1:
            t1 = TEAMS_PER_DEPT
            self.members[proj[team_projs[t1][0]]].append(self.gdn(team[t1]))
            self.cycles = 3
        self.proj, self.team_projs = proj, team_projs

    def walk(self):
        """BFS from the top group: groups reached (with depth) and the users."""
        by_dn = {self.gdn(cn).lower(): cn for cn in self.members}
        depth = {TOP: 0}
        queue = [TOP]
        users = set()
        for cn in queue:
            for m in self.members[cn]:
                g = by_dn.get(m.lower())
                if g is None:
                    users.add(m.lower())
                elif g not in depth:
                    depth[g] = depth[cn] + 1
                    queue.append(g)
        return depth, users


def gen(opts):
    s = Shape(opts.users, opts.groups, opts.suffix)
    if s.d < 2 or s.p < s.t:
        sys.exit("report_groups.py gen: GROUP_COUNT must be at least 200")
    s.build()
    depth, scope = s.walk()
    os.makedirs(opts.dir, exist_ok=True)
    with open(os.path.join(opts.dir, "dir.ldif"), "w") as f:
        for _, name in OUS:
            f.write("dn: ou=%s,%s\nobjectClass: organizationalUnit\nou: %s\n\n"
                    % (name, s.people, name))
        for i in range(1, s.n + 1):
            u = uname(i)
            f.write("dn: %s\nobjectClass: inetOrgPerson\nuid: %s\n"
                    "cn: User %05d\nsn: %05d\ngivenName: User\n"
                    "mail: %s@example.com\n\n" % (s.udn(i), u, i, i, u))
        f.write("dn: %s\nobjectClass: organizationalUnit\nou: Groups\n\n"
                % s.groups_ou)
        for cn in s.order:
            f.write("dn: %s\nobjectClass: groupOfNames\ncn: %s\n" % (s.gdn(cn), cn))
            f.write("".join("member: %s\n" % m for m in s.members[cn]))
            f.write("\n")
    in_scope = [s.udn(i).lower() in scope for i in range(s.n + 1)]
    per_bu = {}
    with open(os.path.join(opts.dir, "users"), "w") as f:
        for i in range(1, s.n + 1):
            bu_id, bu = s.dept_ou(s.dept_of(i))
            f.write("%d %d %s %d\n" % (i, bu_id, bu, in_scope[i]))
            per_bu.setdefault(bu, [0, 0])
            per_bu[bu][0] += 1
            per_bu[bu][1] += in_scope[i]
    # The joiners: users out of scope, spread; leaf groups reached from the
    # top group, spread.
    outs = [i for i in range(1, s.n + 1) if not in_scope[i]]
    gdns = {s.gdn(cn).lower() for cn in s.members}
    leaves = [cn for cn in s.proj if cn in depth and
              not any(m.lower() in gdns for m in s.members[cn])]
    if len(outs) < opts.changes or not leaves:
        sys.exit("report_groups.py gen: too few users out of scope for RUNS")
    with open(os.path.join(opts.dir, "changes"), "w") as f:
        for r in range(opts.changes):
            u = outs[r * len(outs) // opts.changes]
            g = leaves[(r * 997) % len(leaves)]
            f.write("%s\t%s\n" % (s.udn(u), s.gdn(g)))
    first_in = next(i for i in range(1, s.n + 1) if in_scope[i])
    with open(os.path.join(opts.dir, "audit_dn"), "w") as f:
        f.write(s.udn(first_in) + "\n")
    levels = {}
    for cn, dep in depth.items():
        levels[dep] = levels.get(dep, 0) + 1
    nvals = sum(len(v) for v in s.members.values())
    sizes = sorted(len(s.members[cn]) for cn in s.proj)
    facts = {
        "users": s.n, "groups": len(s.order), "departments": s.d,
        "teams": s.t, "projects": s.p, "top_departments": len(range(0, s.d, 2)),
        "levels": max(depth.values()) + 1,
        "reached": len(depth),
        "reached_levels": ",".join(str(levels[k]) for k in sorted(levels)),
        "in_scope": len(scope), "member_values": nvals,
        "user_member_values": sum(sizes),
        "leaf_min": sizes[0], "leaf_median": sizes[len(sizes) // 2],
        "leaf_max": sizes[-1], "cycles": s.cycles,
        "per_bu": ";".join("%s:%d:%d" % (bu, a, b) for bu, (a, b) in per_bu.items()),
        "top_dn": s.gdn(TOP),
    }
    for k, v in facts.items():
        print("group.%s=%s" % (k, v))


# --- the fake iMocha and the export --------------------------------------------

def read_users(d, which):
    with open(os.path.join(d, "users")) as f:
        for line in f:
            i, bu_id, bu, sc = line.split()
            if which == "all" or sc == "1":
                yield int(i), int(bu_id), bu


def post(url, path, body):
    req = urllib.request.Request(url.rstrip("/") + path,
                                 data=json.dumps(body).encode(), method="POST")
    req.add_header("Content-Type", "application/json")
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(req, timeout=300) as r:
        r.read()


def preload(url, d, which):
    batch = []
    for i, bu_id, _ in read_users(d, which):
        batch.append({"email": uname(i) + "@example.com",
                      "fullName": "User %05d" % i, "businessunitId": bu_id,
                      "status": "Active"})
        if len(batch) == CHUNK:
            post(url, "/_fake/users", {"users": batch})
            batch = []
    if batch:
        post(url, "/_fake/users", {"users": batch})


def csv(d, which):
    out = sys.stdout
    out.write("email,business_unit,status\n")
    for i, _, bu in read_users(d, which):
        out.write("%s@example.com,%s,Active\n" % (uname(i), bu))


# --- what one run did ------------------------------------------------------------

def debuglog(path):
    """Facts from the group read's debug lines (syncgroups.c, ldapsrc.c,
    ldapgroup.c); "-" where the log says nothing."""
    contexts = listed = met = members = ranged = "-"
    searches = []
    with open(path, errors="replace") as f:
        for line in f:
            m = re.search(r"LDAP search of ([^:]*): (.*)$", line)
            if m:
                searches.append((m.group(1), m.group(2).strip()))
            m = re.search(r"LDAP \S+: (\d+) groups read under (\d+) naming contexts", line)
            if m:
                listed, contexts = m.group(1), m.group(2)
            m = re.search(r"group (.*): (\d+) groups, nested counted", line)
            if m:
                met = m.group(2)
            m = re.search(r"group (.*): (\d+) members under base_dn, nested counted", line)
            if m:
                members = m.group(2)
            if re.search(r"LDAP \S+: group .*: reading \S+;range=", line):
                ranged = str(int(ranged) + 1 if ranged != "-" else 1)
    grp = [s for s in searches if "groupOfNames" in s[1]]
    print("log.group_listing_searches=%d" % len(grp))
    print("log.group_listing_base=%s" % (grp[0][0] if grp else "-"))
    print("log.groups_listed=%s" % listed)
    print("log.naming_contexts=%s" % contexts)
    print("log.groups_met=%s" % met)
    print("log.members_in_scope=%s" % members)
    print("log.ranged_reads=%s" % (ranged if ranged != "-" else "0"))
    print("log.searches_logged=%d" % len(searches))
    print("log.searches_logged_what=%s" % "; ".join(
        "%s: %s" % s for s in searches))


def ber_len(b, i):
    """(length, index after it) of the BER length at b[i]."""
    n = b[i]
    if n < 0x80:
        return n, i + 1
    k = n & 0x7f
    return int.from_bytes(b[i + 1:i + 1 + k], "big"), i + 1 + k


def ldap_messages(b):
    """(op tag, base DN or None, scope or None) of each LDAP message in b."""
    i = 0
    while i < len(b) and b[i] == 0x30:
        ln, j = ber_len(b, i + 1)
        end = j + ln
        if b[j] != 0x02:
            return
        idl, j = ber_len(b, j + 1)
        j += idl
        tag = b[j]
        base = scope = None
        if tag == 0x63:
            _, k = ber_len(b, j + 1)
            if b[k] == 0x04:
                bl, k = ber_len(b, k + 1)
                base = b[k:k + bl].decode("utf-8", "replace")
                k += bl
                if b[k] == 0x0a:
                    scope = b[k + 2]
        yield tag, base, scope
        i = end


def wire(path, port, suffix):
    """Count the LDAP requests of an strace (-f -xx -yy -s 65535) sent to
    127.0.0.1:port: binds, unbinds, abandons, searches by base and scope."""
    dst = re.compile(r"->127\.0\.0\.1:%s\]>" % re.escape(port))
    data = re.compile(r'"((?:\\x[0-9a-f]{2})+)"')
    counts = {}
    suffix_l = suffix.lower()
    groups_ou = ("ou=groups," + suffix).lower()
    ops = {0x60: "bind", 0x42: "unbind", 0x50: "abandon", 0x77: "extended"}
    with open(path, errors="replace") as f:
        for line in f:
            if not dst.search(line) or not re.search(r"\b(write|send|sendto|sendmsg|writev)\(", line):
                continue
            m = data.search(line)
            if not m:
                continue
            b = bytes(int(x, 16) for x in m.group(1).split("\\x") if x)
            for tag, base, scope in ldap_messages(b):
                if tag != 0x63:
                    k = ops.get(tag, "op%02x" % tag)
                else:
                    bl = (base or "").lower()
                    sc = {0: "base", 1: "one", 2: "sub"}.get(scope, "?")
                    if bl == "":
                        k = "search_rootdse"
                    elif bl.endswith("," + groups_ou) and sc == "base":
                        k = "search_group_base"
                    elif bl == suffix_l and sc == "sub":
                        k = "search_suffix_sub"
                    else:
                        k = "search_other"
                counts[k] = counts.get(k, 0) + 1
    for k in sorted(counts):
        print("wire.%s=%d" % (k, counts[k]))
    print("wire.searches=%d" % sum(v for k, v in counts.items()
                                   if k.startswith("search")))


# --- the report ---------------------------------------------------------------------

def read_results(path):
    rows = {}
    with open(path) as f:
        for line in f:
            w = line.split()
            if len(w) == 3:
                rows.setdefault(w[0], []).append([float(w[1]), int(w[2])])
    return rows


def num(x):
    return "{:,}".format(int(x))


def secs(x):
    return "%.2f" % float(x) if x else "?"


def stats(runs):
    t = [r[0] for r in runs]
    return statistics.median(t), min(t), max(t), max(r[1] for r in runs) / MIB


ROWS = (
    ("full", "`sync --full`, nothing changed"),
    ("incr", "`sync`, nothing changed"),
    ("join", "`sync` after one user joined a leaf group under the top group"),
)


def how(f, cfg, row, runs):
    inc = int(f.get("%s.%s.incremental" % (cfg, row), "0"))
    w = f.get("%s.%s.writes" % (cfg, row), "?")
    read = ("incremental" if inc == runs else "in full" if inc == 0 else
            "incremental in %d of %d" % (inc, runs))
    return "%s; %s write%s%s" % (read, w, "" if w == "1" else "s",
                                 " in all" if runs > 1 and w != "0" else "")


def table(d):
    f, rows = d["facts"], d["rows"]
    runs = int(f.get("runs", "0"))
    out = ["| # | run | A: no group_dn, median (min–max) | A peak RSS MiB "
           "| B: group_dn, median (min–max) | B peak RSS MiB | B ÷ A |",
           "| --- | --- | ---: | ---: | ---: | ---: | ---: |"]
    for n, (key, what) in enumerate(ROWS, 1):
        a, b = rows.get("A." + key), rows.get("B." + key)
        if not a or not b:
            continue
        ma, la, ha, ra = stats(a)
        mb, lb, hb, rb = stats(b)
        out.append("| %d | %s | %.3f s (%.3f–%.3f); %s | %.1f | %.3f s (%.3f–%.3f); %s "
                   "| %.1f | %.2f |" % (
                       n, what, ma, la, ha, how(f, "A", key, len(a)), ra,
                       mb, lb, hb, how(f, "B", key, len(b)), rb, mb / ma))
    return out


def shape_text(f):
    per_bu = []
    for part in f.get("group.per_bu", "").split(";"):
        if part:
            bu, a, b = part.split(":")
            per_bu.append("%s %s (%s in scope)" % (bu, num(a), num(b)))
    lv = f.get("group.reached_levels", "").split(",")
    return (
        "- The directory: %s users under ou=People in four OUs, one business "
        "unit each: %s. %s groupOfNames under ou=Groups (outside base_dn): "
        "`cn=iMocha Users` nesting %s of %s departments, each department "
        "20 teams (%s), each team about %d projects (%s leaf groups, %s to %s "
        "users each, median %s); every user a direct member of 1 to 3 "
        "projects, mostly of their own department. Nesting depth: 4 levels "
        "(top, department, team, project); %s cycles, two of them reached "
        "from the top group (dept-00 names `cn=iMocha Users`; a project of "
        "dept-00 names dept-00). Member values in all groups: %s (%s of them "
        "users). Reached from `cn=iMocha Users`: %s groups (%s) and %s users "
        "in scope (%.1f %%), as computed by the generator and as the agent "
        "counted them (checked on every full read of B)." % (
            num(f["group.users"]), ", ".join(per_bu), num(f["group.groups"]),
            f["group.top_departments"], f["group.departments"],
            num(f["group.teams"]),
            round(int(f["group.projects"]) / int(f["group.teams"])),
            num(f["group.projects"]), f["group.leaf_min"], f["group.leaf_max"],
            f["group.leaf_median"], f["group.cycles"],
            num(f["group.member_values"]), num(f["group.user_member_values"]),
            num(f["group.reached"]),
            " + ".join(lv) + " by level", num(f["group.in_scope"]),
            100.0 * int(f["group.in_scope"]) / int(f["group.users"])))


def searches_text(f):
    if f.get("log.groups_met", "-") == "-":
        return ("- The group read's searches: the debug log of one B run "
                "(`sync -v`) does not show them.")
    t = ("- The group read's LDAP searches, from the debug log of one B run "
         "(`sync -v`, nothing changed): a base search of the configured group, "
         "the root DSE's naming contexts, then %s paged search%s reading every "
         "group whole, members included (base `%s`, %s groups read; the log "
         "names the search once, not its pages); the walk from `cn=iMocha "
         "Users` then met %s groups in memory (%s ranged re-reads)." % (
             f["log.group_listing_searches"],
             "" if f["log.group_listing_searches"] == "1" else "es",
             f["log.group_listing_base"], num(f["log.groups_listed"]),
             num(f["log.groups_met"]), f["log.ranged_reads"]))
    if "wire.searches" in f:
        gb = int(f.get("wire.search_group_base", 0))
        pg = int(f.get("wire.search_suffix_sub", 0))
        t += (" Counted on the wire (strace of one more B `sync`, every request "
              "sent to slapd): %s base search%s of groups and %s search requests "
              "for the group search's pages (page_size 500), so with one root DSE "
              "read %s requests for the group read; the whole run sent %s "
              "searches (also %s root DSE reads in all and %s searches under "
              "ou=People: OUs, users)." % (
                  num(gb), "" if gb == 1 else "es", num(pg), num(gb + pg + 1),
                  num(f["wire.searches"]),
                  f.get("wire.search_rootdse", "0"),
                  num(f.get("wire.search_other", 0))))
    return t


def a_join_note(d):
    """A's row 3 reads nothing; say so when it costs more than its row 2."""
    f, rows = d["facts"], d["rows"]
    if not rows.get("A.join") or not rows.get("A.incr"):
        return []
    mj, _, _, rj = stats(rows["A.join"])
    mi, _, _, ri = stats(rows["A.incr"])
    if mj < 2 * mi:
        return []
    return ["- A's row 3 read at most %s users (its summary's \"read\"), yet took "
            "%.3f s and %.1f MiB against %.3f s and %.1f MiB in row 2: the group "
            "edit lies outside base_dn, but it gives A's next refresh a new "
            "cookie with no entry, and that run costs the agent this much more."
            % (f.get("A.join.read_max", "?"), mj, rj, mi, ri)]


def section(d):
    f = d["facts"]
    mem_kb = int((f.get("mem") or "0 kB").split()[0] or 0)
    runs = f.get("runs", "?")
    head = [
        SECTION, "",
        "Written by `make bench` (bench/groups.sh, bench/report_groups.py; alone: "
        "`make bench GROUPS_ONLY=1`; GROUP_N = %s users, GROUP_COUNT = %s "
        "groups, RUNS = %s). One slapd (syncprov) holds the directory below; two "
        "configurations read it, each with its own state file and fake iMocha: "
        "**A** without group_dn (every user under base_dn `ou=People` in scope), "
        "**B** with `group_dn = %s`. %s; machine: %s CPUs, %s; %.1f GiB RAM; %s; "
        "%s; load average %s at the start, %s at the end. Agent: %s at %s. The "
        "whole part took %s s." % (
            f.get("group.users"), f.get("group.groups"), runs, f.get("group.top_dn"),
            f.get("date", "?"), f.get("nproc", "?"), f.get("cpu") or "unknown CPU",
            mem_kb / 1024.0 / 1024.0, f.get("kernel", "?"), f.get("slapd", "?"),
            f.get("load_start", "?"), f.get("load_end", "?"), f.get("agent", "?"),
            f.get("commit", "?"), f.get("bench_seconds", "?")),
        "",
    ]
    notes = [
        shape_text(f),
        "- Each configuration was settled first: its fake iMocha holds the "
        "users it has in scope (A %s, B %s), `adopt` of that export, one "
        "settling sync (A %s s, %s writes; B %s s, %s writes); then one cn "
        "edit, and a sync of each that audited the server's incremental reads "
        "and trusted them. Then %s rounds, each running A and B once in each row, "
        "interleaved (rows 1, 2, then the join of row 3). Config: the defaults "
        "but for base_dn, requests_per_second = 50, max_in_flight = 8, "
        "max_creates = 100%%; page_size 500." % (
            num(f["group.users"]), num(f["group.in_scope"]),
            secs(f.get("A.settle_seconds")), f.get("A.settle_writes", "?"),
            secs(f.get("B.settle_seconds")), f.get("B.settle_writes", "?"), runs),
        "- Row 1: `--full` on a trusted OpenLDAP is an audit (an incremental "
        "refresh, a full one, compared). Row 2: B reads every group on every "
        "run, incremental or not (the membership's fingerprint decides whether "
        "the users are read in full). Row 3: each round one user out of scope "
        "joins a project reached from `cn=iMocha Users` (ldapmodify, add "
        "member), then A syncs (it reads no group: the change is invisible to "
        "it) and B syncs: the membership changed, so B reads in full (%s of %s "
        "runs said \"a group's membership changed\") and creates the joiner in "
        "its fake." % (f.get("B.join.membership_said", "?"), runs),
        searches_text(f),
    ] + a_join_note(d) + [
        "- Times: wall clock around each process, start-up included; peak RSS: "
        "GNU time's maximum resident set, the largest of the row's runs. B ÷ A: "
        "the medians' ratio.",
    ]
    return (head + table(d) + [""] + notes +
            ["", "<!-- bench-groups %s -->" % json.dumps(d, sort_keys=True)])


def report(opts):
    d = {"facts": read_facts(opts.facts), "rows": read_results(opts.results)}
    lines = section(d)
    print("\n".join(lines[:-1]))
    try:
        with open(opts.out) as f:
            text = f.read()
    except FileNotFoundError:
        text = ""
    body = "\n".join(lines) + "\n"
    m = re.search(r"^%s\s*$" % re.escape(SECTION), text, re.M)
    if m:
        nxt = re.search(r"^## ", text[m.end():], re.M)
        end = m.end() + nxt.start() if nxt else len(text)
        text = text[:m.start()] + body + ("\n" + text[end:] if nxt else "")
    else:
        text = text.rstrip("\n") + ("\n\n" if text.strip() else "") + body
    tmp = opts.out + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, opts.out)
    print("bench: written to %s" % opts.out)


def main(argv):
    ap = argparse.ArgumentParser(prog="report_groups.py")
    sub = ap.add_subparsers(dest="cmd", required=True)
    g = sub.add_parser("gen")
    g.add_argument("--users", type=int, required=True)
    g.add_argument("--groups", type=int, required=True)
    g.add_argument("--changes", type=int, required=True)
    g.add_argument("--suffix", required=True)
    g.add_argument("--dir", required=True)
    sub.add_parser("bus")
    p = sub.add_parser("preload")
    p.add_argument("url")
    p.add_argument("dir")
    p.add_argument("which", choices=("all", "scope"))
    c = sub.add_parser("csv")
    c.add_argument("dir")
    c.add_argument("which", choices=("all", "scope"))
    lg = sub.add_parser("debuglog")
    lg.add_argument("file")
    w = sub.add_parser("wire")
    w.add_argument("file")
    w.add_argument("port")
    w.add_argument("suffix")
    r = sub.add_parser("report")
    r.add_argument("--results", required=True)
    r.add_argument("--facts", required=True)
    r.add_argument("--out", required=True)
    opts = ap.parse_args(argv)
    if opts.cmd == "gen":
        gen(opts)
    elif opts.cmd == "bus":
        for bu_id, name in OUS:
            print("--bu %d:%s" % (bu_id, name))
    elif opts.cmd == "preload":
        preload(opts.url, opts.dir, opts.which)
    elif opts.cmd == "csv":
        csv(opts.dir, opts.which)
    elif opts.cmd == "debuglog":
        debuglog(opts.file)
    elif opts.cmd == "wire":
        wire(opts.file, opts.port, opts.suffix)
    else:
        report(opts)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
