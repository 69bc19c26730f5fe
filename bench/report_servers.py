"""bench/report_servers.py: the "Directory servers" section of BENCHMARKS.md
(bench/servers.sh's rows), for bench/report.py --servers.  Python 3 stdlib.

Inputs, written by bench/servers.sh:
  --results: "SETUP ROW SECONDS RSS_KIB" per measured run, ROW one of
             floor (ldapsearch paged), full (sync --full), incr (sync,
             nothing changed; on AD the DC idle, so no DirSync asked),
             incrw (AD: sync after one write on the DC that changes no
             user, so a DirSync asked), incr100 (sync after CHANGED users'
             display names changed), usnscan (AD: ldapsearch of what
             Samba's DirSync searches);
  --facts:   KEY=VALUE; the server's own facts as SETUP.KEY=VALUE
             (on AD dirsync_asked_ROW and dirsync_skipped_ROW: how many
             timed runs of ROW asked a DirSync, from the cookie's USN).
One section per SERVER_N, carried as JSON in an HTML comment
("<!-- bench-servers {...} -->").  A run replaces the servers it measured
and keeps the others (each keeps its own date and commit); a server it
skipped keeps its last measurement.
"""

import json
import re
import statistics

SERVERS_RE = re.compile(r"^<!-- bench-servers (\{.*\}) -->$", re.M)
# The targets: a full read at most 1.25 times ldapsearch's on every
# server; an incremental sync, nothing changed, under 50 ms, and after 100
# changed users under 150 ms (bench/run.sh rows 3 and 4, set for slapd at
# N = 100,000); on AD (issue #16, N = 50,000) under 100 ms and 300 ms,
# and incrw (one write on the DC that changes no user) as incr.
FLOOR_RATIO = 1.25
NOCHANGE_MAX = 0.050
CHANGES_MAX = 0.150
INCR_MAX = {
    "openldap": {"incr": NOCHANGE_MAX, "incr100": CHANGES_MAX},
    "ad": {"incr": 0.100, "incrw": 0.100, "incr100": 0.300},
}
INCR_ROWS = ("incr", "incrw", "incr100")
MIB = 1024.0
ORDER = ("openldap", "389-nosync", "389", "389-ipa", "ad-ou", "ad-root")
KIND_NAME = {"openldap": "OpenLDAP", "389": "389-DS", "ad": "Samba AD"}
SETUP_NOTE = {
    "openldap": "slapd with syncprov",
    "389-nosync": "389-DS as installed: content sync off",
    "389": "389-DS with content sync on",
    "389-ipa": "389-DS as FreeIPA sets it up",
    "ad-ou": "base_dn an OU",
    "ad-root": "base_dn the domain root",
}
# Facts of the whole run that each server keeps as its own.
RUN_FACTS = ("date", "commit", "agent", "cpu", "nproc", "mem", "kernel",
             "runs", "full_flag", "floor_page", "load_start", "load_end",
             "gnu_time")


def read_facts(path):
    """The KEY=VALUE lines of a facts file, as a dict (report.py,
    report_groups.py and report_own.py too)."""
    kv = {}
    with open(path) as f:
        for line in f:
            k, sep, v = line.rstrip("\n").partition("=")
            if sep:
                kv[k] = v
    return kv


def read_inputs(results, facts):
    kv = read_facts(facts)
    servers = {}
    for setup in kv.get("setups", "").split():
        sf = {k[len(setup) + 1:]: v for k, v in kv.items()
              if k.startswith(setup + ".")}
        for k in RUN_FACTS:
            if k in kv:
                sf[k] = kv[k]
        servers[setup] = {"facts": sf, "rows": {}}
    with open(results) as f:
        for line in f:
            w = line.split()
            if len(w) == 4 and w[0] in servers:
                servers[w[0]]["rows"].setdefault(w[1], []).append(
                    [float(w[2]), int(w[3])])
    g = {k: v for k, v in kv.items() if "." not in k}
    return {"n": int(kv["n"]), "facts": g, "servers": servers}


def load(text):
    out = {}
    for m in SERVERS_RE.finditer(text):
        try:
            d = json.loads(m.group(1))
            out[int(d["n"])] = d
        except (ValueError, KeyError, TypeError):
            continue
    return out


def measured(s):
    return s["facts"].get("measured") == "yes" and "floor" in s["rows"]


def merge(old, new):
    """NEW's section with OLD's servers that NEW did not measure."""
    if old is None:
        old = {"servers": {}}
    out = {"n": new["n"], "facts": new["facts"], "servers": {}}
    for setup, s in old.get("servers", {}).items():
        out["servers"][setup] = s
    for setup, s in new["servers"].items():
        prev = out["servers"].get(setup)
        if not measured(s) and prev is not None and measured(prev):
            continue
        f = s["facts"]
        # Samba's first load at this N is cached after: keep its time.
        if f.get("load_cached") == "no":
            f["load_first_seconds"] = f.get("load_seconds", "")
            f["load_first_date"] = f.get("date", "")
        elif f.get("load_cached") == "yes" and prev is not None:
            pf = prev["facts"]
            if pf.get("load_first_seconds"):
                f["load_first_seconds"] = pf["load_first_seconds"]
                f["load_first_date"] = pf.get("load_first_date", "")
        out["servers"][setup] = s
    return out


def stats(runs):
    t = [r[0] for r in runs]
    return (statistics.median(t), min(t), max(t),
            max(r[1] for r in runs) / MIB)


def secs(x):
    return "%.3f s" % x


def yesno(ok):
    return "yes" if ok else "**no**"


def row(cells):
    return "| " + " | ".join(cells) + " |"


def num(x):
    return "{:,}".format(int(x))


def ordered(servers):
    return sorted(servers, key=lambda s: (ORDER.index(s) if s in ORDER
                                          else len(ORDER), s))


def name(setup, f):
    kind = KIND_NAME.get(f.get("kind", ""), setup)
    v = f.get("version", "")
    if not v:
        return kind
    return v if v.startswith(kind) else "%s (%s)" % (kind, v)


def scheme(f):
    return f.get("uri", "").split("://")[0] + "://" if f.get("uri") else "?"


def writes_note(f, key):
    w = int(f.get(key, "0") or 0)
    return "0 writes" if w == 0 else "**%d writes**" % w


def incr_target(f, r):
    """The target of incremental row R (incr, incrw, incr100) here."""
    t = INCR_MAX.get(f.get("kind", ""), INCR_MAX["openldap"])
    return t.get(r, t["incr"])


def dirsync_counts(f, r):
    """(asked, skipped) DirSyncs over row R's timed runs (AD), or None when
    the run did not count them (measured before the agent could skip)."""
    a, k = f.get("dirsync_asked_" + r), f.get("dirsync_skipped_" + r)
    if a is None or k is None:
        return None
    return int(a or 0), int(k or 0)


def dirsync_said(f, r, runs):
    """How row R's timed runs stood with DirSync, in words ("" if not
    counted)."""
    c = dirsync_counts(f, r)
    if c is None:
        return ""
    asked, skipped = c
    if skipped == runs:
        return "no DirSync in %d of %d runs" % (skipped, runs)
    if asked == runs:
        return "a DirSync in %d of %d runs" % (asked, runs)
    return "a DirSync in %d of %d runs, none in %d" % (asked, runs, skipped)


def incr_what(f, r):
    """What incremental row R times."""
    if r == "incr":
        if dirsync_counts(f, r) is not None:
            return "`sync`, nothing changed, the DC idle"
        return "`sync`, nothing changed"
    if r == "incrw":
        return ("`sync` after one write on the DC that changes no user "
                "(`%s` of `%s`, outside base_dn)" % (
                    f.get("incrw_attr", "?"), f.get("incrw_dn", "?")))
    return ("`sync` after %s users' `%s` changed (a display name: recorded, "
            "nothing sent)" % (f.get("changed", "100"),
                              f.get("changed_attr", "?")))


def incr_result(s, r):
    """(stats, how, met) of incremental row R of server S."""
    f = s["facts"]
    runs = len(s["rows"]["floor"])
    st = stats(s["rows"][r])
    k = int(f.get("incremental_" + r, "0") or 0)
    how = ("incremental" if k == runs else
           "incremental in %d of %d runs only" % (k, runs))
    met = (st[0] < incr_target(f, r) and k == runs and
           f.get("writes_" + r) == "0")
    if r == "incrw":
        # Timed only if each run asked its DirSync (else the idle case).
        c = dirsync_counts(f, r)
        met = met and c is not None and c[0] == runs
    return st, how, met


def incr_summary(d):
    """The incremental rows beside one another, one line a server."""
    have = [s for s in ordered(d["servers"]) if measured(d["servers"][s]) and
            "incr" in d["servers"][s]["rows"]]
    if not have:
        return []
    changed = d["servers"][have[0]]["facts"].get("changed", "100")
    cols = [("incr", "`sync`, nothing changed"),
            ("incrw", "`sync` after one write that changes no user (AD)"),
            ("incr100", "`sync` after %s changed users" % changed)]
    if not any("incrw" in d["servers"][x]["rows"] for x in have):
        cols = [c for c in cols if c[0] != "incrw"]
    head = ["server", "setup"]
    for _, title in cols:
        head += [title, "target", "met?"]
    out = [row(head), row(["---"] * 2 + ["---:", "---", "---"] * len(cols))]
    for setup in have:
        s = d["servers"][setup]
        f = s["facts"]
        runs = len(s["rows"]["floor"])
        cells = [name(setup, f), setup]
        for r, _ in cols:
            if r not in s["rows"]:
                cells += ["AD only" if r == "incrw" and
                          f.get("kind") != "ad" else "not measured", "", ""]
                continue
            st, how, met = incr_result(s, r)
            said = [] if how == "incremental" else [how]
            ds = dirsync_said(f, r, runs)
            if ds:
                said.append(ds)
            cells += [secs(st[0]) + (" (%s)" % "; ".join(said) if said
                                     else ""),
                      "< %s" % secs(incr_target(f, r)), yesno(met)]
        out.append(row(cells))
    return out


def summary(d):
    out = [row(["server", "setup", "base, over", "floor: `ldapsearch` paged",
                "agent: `sync --full`", "agent ÷ floor",
                "target", "met?"]),
           row(["---"] * 3 + ["---:"] * 3 + ["---"] * 2)]
    for setup in ordered(d["servers"]):
        s = d["servers"][setup]
        f = s["facts"]
        if not measured(s):
            out.append(row([name(setup, f), setup, "", "", "", "",
                            "", "skipped: %s" % f.get("skipped", "?")]))
            continue
        fl, fu = stats(s["rows"]["floor"]), stats(s["rows"]["full"])
        ratio = fu[0] / fl[0]
        out.append(row([
            name(setup, f), setup,
            "%s, %s" % (f.get("base", "?"), scheme(f)),
            secs(fl[0]), secs(fu[0]), "%.2f" % ratio,
            "≤ %.2f" % FLOOR_RATIO,
            yesno(ratio <= FLOOR_RATIO and f.get("writes_full") == "0")]))
    return out


def detail(d):
    out = [row(["server", "run", "median", "min", "max", "peak RSS MiB",
                "target", "met?"]),
           row(["---"] * 2 + ["---:"] * 4 + ["---"] * 2)]
    for setup in ordered(d["servers"]):
        s = d["servers"][setup]
        f = s["facts"]
        if not measured(s):
            continue
        runs = len(s["rows"]["floor"])
        fl = stats(s["rows"]["floor"])
        label = "%s, %s" % (KIND_NAME.get(f.get("kind"), setup), setup)
        out.append(row([label, "floor: `ldapsearch -E pr=%s/noprompt`, "
                        "same base, filter, attributes, account" %
                        f.get("floor_page", "1000")] +
                       [secs(fl[0]), secs(fl[1]), secs(fl[2]),
                        "%.1f" % fl[3], "", ""]))
        fu = stats(s["rows"]["full"])
        inc = int(f.get("incremental_full", "0") or 0)
        out.append(row([label, "`sync%s`, nothing changed, full read%s; %s" % (
            " --full" if f.get("full_flag") == "--full" else "",
            "" if inc == 0 else
            " (**but it logged an incremental read in %d runs**)" % inc,
            writes_note(f, "writes_full"))] +
            [secs(fu[0]), secs(fu[1]), secs(fu[2]), "%.1f" % fu[3],
             "≤ %.2f × floor = %s" % (FLOOR_RATIO, secs(FLOOR_RATIO * fl[0])),
             "%s (%.2f ×)" % (yesno(fu[0] <= FLOOR_RATIO * fl[0] and
                                    f.get("writes_full") == "0"),
                              fu[0] / fl[0])]))
        if "usnscan" in s["rows"]:
            fs = stats(s["rows"]["usnscan"])
            out.append(row([label, "reference: `ldapsearch` of `%s` for `%s` "
                            "(%s entries), as the agent: what a DirSync with "
                            "a cookie asks of Samba's database" % (
                                f.get("usnscan_base", "?"),
                                f.get("usnscan_filter", "?"),
                                f.get("usnscan_entries", "?"))] +
                           [secs(fs[0]), secs(fs[1]), secs(fs[2]),
                            "%.1f" % fs[3], "", ""]))
        for r in INCR_ROWS:
            if r not in s["rows"]:
                continue
            fi, how, met = incr_result(s, r)
            ds = dirsync_said(f, r, runs)
            out.append(row([label, "%s, %s%s; %s" % (
                incr_what(f, r), how, "; " + ds if ds else "",
                writes_note(f, "writes_" + r))] +
                [secs(fi[0]), secs(fi[1]), secs(fi[2]), "%.1f" % fi[3],
                 "< %s" % secs(incr_target(f, r)), yesno(met)]))
    return out


def loads(d):
    out = [row(["server", "setup", "users loaded by", "start with %s users"
                % num(d["n"]), "notes"]),
           row(["---", "---", "---", "---:", "---"])]
    for setup in ordered(d["servers"]):
        s = d["servers"][setup]
        f = s["facts"]
        if not measured(s):
            continue
        note = []
        if f.get("import_seconds"):
            note.append("of which ldif2db's import: %s s" % f["import_seconds"])
        if f.get("load_cached") == "yes":
            note.append("this run copied the cached domain")
        if f.get("load_first_seconds"):
            t = float(f["load_first_seconds"])
            note.append("first load at this N%s: %.0f s (%.0f users/s), "
                        "cached after" % (
                            " (the run of %s)" % f["load_first_date"]
                            if f.get("load_first_date") and
                            f.get("load_cached") == "yes" else "",
                            t, d["n"] / t if t > 0 else 0))
        out.append(row([KIND_NAME.get(f.get("kind"), setup), setup,
                        f.get("load_how", "?"),
                        "%.1f s" % float(f.get("load_seconds", "0") or 0),
                        "; ".join(note)]))
    return out


def reads_note(f):
    """How a `sync --full` run read the users (its debug log)."""
    reads = f.get("agent_user_reads", "")
    if not reads:
        return "the agent reads the users by %s" % f.get("agent_reads_by", "?")
    n = int(f.get("agent_user_read_count", "1") or 1)
    if n == 1:
        return "the agent reads the users once, by %s" % reads
    if "asking no DirSync" in reads:
        return ("its `sync --full` is an audit of the server's DirSync reads, "
                "in this order: %s (the two reads of changes bracket the "
                "full read, then the state store compares them; a read of "
                "changes asks no DirSync when the DC wrote nothing since the "
                "last read)" % reads)
    if "DirSync" in reads:
        return ("its `sync --full` is an audit of the server's DirSync reads, "
                "in this order: %s (the two DirSyncs of changes bracket the "
                "full read, then the state store compares them)" % reads)
    return ("its `sync --full` reads the users %s times: %s%s" % (
        n, reads, " (an audit of the server's incremental reads: the two "
        "refreshes of changes bracket the full one, then the state store "
        "compares them)" if "changes since the last read" in reads else ""))


def incr_reads_note(f):
    """How an incremental `sync` read the changed users (an untimed -v run
    after the rounds), and what the timed runs read."""
    reads = f.get("agent_incr100_reads", "")
    if not reads:
        return ""
    runs = int(f.get("runs", "0") or 0)
    out = ""
    idle = f.get("agent_incr_reads", "")
    if idle:
        out += (" With nothing changed%s, an incremental `sync` (once more "
                "after the rounds, untimed, with `-v`) reads: %s" % (
                    " and the DC idle" if f.get("kind") == "ad" else "",
                    idle))
        c = dirsync_counts(f, "incr")
        if c is not None:
            out += ("; of the timed runs %d asked no DirSync and %d asked "
                    "one (the USN the stored cookie keeps: unmoved, or "
                    "moved)" % (c[1], c[0]))
        out += "."
    w = f.get("agent_incrw_reads", "")
    if w:
        c = dirsync_counts(f, "incrw") or (0, 0)
        out += (" After one write of `%s` to `%s` (incrw), it reads: %s; "
                "%d of the %d timed runs asked a DirSync (the cookie's USN "
                "moved), as each must: the bench stops on one that does "
                "not." % (f.get("incrw_attr", "?"), f.get("incrw_dn", "?"),
                          w, c[0], runs))
    return out + (
        " After %s users' `%s` changed, an incremental `sync` (once "
        "more after the rounds, untimed, with `-v`) reads: %s; each "
        "timed run said it read %s users (0 in the nothing-changed%s "
        "runs)." % (f.get("changed", "?"), f.get("changed_attr", "?"),
                    reads, f.get("changed", "?"),
                    " and one-write" if w else ""))


def notes(d):
    out = []
    for setup in ordered(d["servers"]):
        s = d["servers"][setup]
        f = s["facts"]
        if not measured(s):
            continue
        out.append(
            "- %s (%s, %s): %s; base `%s`, filter `%s`, attributes %s; "
            "ldapsearch read %s entries, the agent's first `sync --full` "
            "says it read %s; %s.%s Setup, untimed: `adopt` %.2f s, the "
            "settling sync %.2f s (%s writes). Measured %s at %s." % (
                KIND_NAME.get(f.get("kind"), setup), setup,
                SETUP_NOTE.get(setup, setup), f.get("uri", "?").split(":")[0] +
                ("://, verifying the rig's CA" if f.get("ca") == "yes"
                 else "://"),
                f.get("base", "?"), f.get("filter", "?"),
                ", ".join("`%s`" % a for a in f.get("attrs", "").split()),
                num(f.get("floor_entries") or 0),
                num(f.get("agent_read") or 0),
                reads_note(f), incr_reads_note(f),
                float(f.get("adopt_seconds", "0") or 0),
                float(f.get("settle_seconds", "0") or 0),
                f.get("settle_writes", "?"), f.get("date", "?"),
                f.get("commit", "?")))
    return out


def newest_changed(d):
    for s in d["servers"].values():
        if s["facts"].get("changed"):
            return s["facts"]["changed"]
    return "100"


def newest(d):
    fs = [d["servers"][s]["facts"] for s in d["servers"]
          if measured(d["servers"][s])]
    return max(fs, key=lambda f: f.get("date", "")) if fs else d["facts"]


def has_row(d, r):
    return any(r in d["servers"][x]["rows"] for x in d["servers"]
               if measured(d["servers"][x]))


def section(d):
    f = newest(d)
    incrw = has_row(d, "incrw")
    mem_kb = int((f.get("mem") or "0 kB").split()[0] or 0)
    runs = f.get("runs", "?")
    head = [
        "## Directory servers: N = %s users each" % num(d["n"]),
        "",
        "Written by `make bench` (bench/servers.sh: SERVERS, default "
        "`openldap 389 ad`; SERVER_N = %s). On each directory server in turn (one runs "
        "at a time), a full read of the same %s users by the agent against "
        "`ldapsearch` paged over the same server, base, filter, attributes "
        "and account, %s round%s of one of each, interleaved; medians. "
        "Target (the issue): the agent at most %.2f × ldapsearch on every "
        "server. Where the server offers incremental reads (OpenLDAP, AD), "
        "the same rounds also time %s (the second table; targets: %s). "
        "Newest run: %s; machine: %s CPUs, %s; %.1f GiB RAM; %s; "
        "load average %s at the start, %s at the end. Agent: %s at %s." % (
            d["n"], num(d["n"]), runs, "" if runs == "1" else "s",
            FLOOR_RATIO,
            "`sync` with nothing changed (on AD, the DC idle), on AD `sync` "
            "after one write on the DC that changes no user, and `sync` "
            "after 100 users changed" if incrw else
            "`sync` with nothing changed and `sync` after 100 users changed",
            "OpenLDAP under 50 ms and 150 ms, AD under 100 ms, 100 ms and "
            "300 ms" if incrw else
            "OpenLDAP under 50 ms and 150 ms, AD under 100 ms and 300 ms",
            f.get("date", "?"),
            f.get("nproc", "?"), f.get("cpu") or "unknown CPU",
            mem_kb / 1024.0 / 1024.0, f.get("kernel", "?"),
            f.get("load_start", "?"), f.get("load_end", "?"),
            f.get("agent", "?"), f.get("commit", "?")),
        "",
    ]
    method = [
        "- The servers (tests/lib/directory.sh's setups, started by its "
        "srv_start): the %s users sit in OU Engineering under the setup's "
        "base, loaded offline before the server's first start (the load "
        "table). The agent's config is directory.sh's srv_config for the "
        "setup (user_filter, id_attribute, disabled_filter; ldaps:// and "
        "the rig's CA for AD) plus requests_per_second = 50, max_in_flight "
        "= 8, max_creates = 100%%; page_size is the default, 500." % num(
            d["n"]),
        "- Nothing to write: a fake iMocha holds the users and the state "
        "store manages them (`adopt` of iMocha's export, then one settling "
        "sync), as in rows 1 to 4 above.",
        "- Floor: `ldapsearch -x -E pr=%s/noprompt` bound as the agent's "
        "account, LDIF to /dev/null, over the agent's URI (ldaps:// "
        "verifying the same CA for AD). Its filter is built from the config "
        "as the agent builds it, `(&USER_FILTER(!DISABLED_FILTER))`, and "
        "checked against the search the agent's debug log names; its "
        "attributes are those the agent asks for (id_attribute, mail, cn, "
        "givenName, sn, entryUUID). The agent also reads the root DSE, the "
        "base entry and the OUs, and checks its state store: that is in its "
        "time. How many times a `sync --full` reads the users, and how, is "
        "taken from an untimed run with `-v` (each server's note below)."
        % f.get("floor_page", "1000"),
        "- Times: wall clock around each process, start-up included; peak "
        "RSS: GNU time's maximum resident set, the largest of the row's "
        "runs. Ratio: the agent's median over the floor's.",
        "- Incremental reads: OpenLDAP offers them by RFC 4533 content "
        "sync, AD by its DirSync control; the agent uses them once an audit "
        "trusted the server (tests/lib/directory.sh's srv_earn_trust: one "
        "display-name change and a sync, before the rounds). 389-DS's "
        "content sync is off in this setup, so its every sync is a full "
        "read. On a trusted server `sync --full` is itself an audit (an "
        "incremental read, then the full one, compared): the full row "
        "includes that, as a `--full` run would in production.",
        "- Incremental rows, in each round after the full one: `sync` with "
        "nothing changed;%s then, untimed, %s users get a new display name "
        "(the config's name_attribute: `displayName` on AD, `cn` on "
        "OpenLDAP; spread evenly over the users, others each round, value "
        "`User NNNNN rROUND`) by one `ldapmodify` as the server's "
        "administrator, and `sync` is timed. The agent records a display "
        "name and sends nothing (iMocha cannot rename users), so the fake "
        "iMocha is not in that time. Every timed incremental run was "
        "checked to say `directory read incremental` in its log and to "
        "have read 0 users (nothing changed%s) or the %s changed ones "
        "(\"summary: read N\"); a run that read in full, or read another "
        "number, stops the bench instead of giving a figure." % (
            " on AD, after one untimed write that changes no user, `sync` "
            "again (incrw, below);" if incrw else "",
            newest_changed(d),
            ", or one write outside the users" if incrw else "",
            newest_changed(d)),
    ]
    if incrw:
        wf = [d["servers"][x]["facts"] for x in ordered(d["servers"])
              if measured(d["servers"][x]) and
              "incrw" in d["servers"][x]["rows"]][0]
        method.append(
            "- On AD the incremental rows are three, because the agent "
            "first reads the DC's rootDSE `highestCommittedUSN` (it moves "
            "with every write on the DC, its own or replicated) and asks no "
            "DirSync when it has not moved since the last read (the cookie "
            "keeps it). **incr**: nothing changed and the DC idle, so no "
            "DirSync at all: the agent's own cost. **incrw**: before each "
            "run, untimed, ONE write on the DC that changes no user (`%s` "
            "of `%s`, outside base_dn, a value naming the round, by "
            "`ldapmodify` as the administrator), so the agent asks its "
            "DirSync and Samba answers it with its unindexed pass over the "
            "naming context (the reference row): what an incremental run "
            "costs on a DC where anything at all was written since the "
            "last one, which on a production DC is the usual case. "
            "**incr100**: after %s users' display names changed, the "
            "DirSync and the re-read of those users. Whether each timed run "
            "asked a DirSync is read, untimed, from the state store: the "
            "USN its cookie keeps moves exactly when the agent asked one; "
            "the timed runs are not `-v` (as in every row), and one untimed "
            "`-v` run of each row after the rounds must agree with the "
            "cookie (its log says \"no write on the domain controller since "
            "the last read\", or names what its DirSync named). An incrw "
            "run that asked no DirSync stops the bench. OpenLDAP has no "
            "such skip (each incremental `sync` sends the same content sync "
            "refresh), so it has no incrw row." % (
                wf.get("incrw_attr", "?"), wf.get("incrw_dn", "?"),
                newest_changed(d)))
    if has_row(d, "usnscan"):
        method.append(
            "- The reference row on AD: a DirSync with a cookie is answered "
            "by Samba's dirsync module, which adds `(uSNChanged>=USN)` (the "
            "cookie's USN + 1) to the filter and searches the whole naming "
            "context; the row times that search alone, by `ldapsearch` as "
            "the agent with a USN above any, so nothing is sent back: the "
            "server's own share of every incremental run%s, whatever "
            "changed." % (" that asks a DirSync (incrw, incr100; not incr "
                          "on an idle DC)" if incrw else ""))
    inc = incr_summary(d)
    return (head + summary(d) + [""] + (inc + [""] if inc else []) +
            detail(d) + [""] + loads(d) +
            [""] + method + notes(d) +
            ["", "<!-- bench-servers %s -->" % json.dumps(d, sort_keys=True)])


def sections_text(secs_by_n):
    lines = []
    for n in sorted(secs_by_n):
        lines += section(secs_by_n[n]) + [""]
    return lines
