#!/usr/bin/python3
"""bench/report.py: the table of `make bench` (Python 3 stdlib only).

  report.py --results FILE --facts FILE --out BENCHMARKS.md
  report.py --servers --results FILE --facts FILE --out BENCHMARKS.md

FILE --results, one line per measured run, written by bench/run.sh:
  ROW SECONDS RSS_KIB            rows 1, 2, 3, 4, 4b, 4c, 5
  5r CREATED REQUESTS N429 FIRST LAST WALL   what the fake saw in a row-5 run
  7r CREATED FIRST START     row 7: creates seen, the first's arrival, the
                             run's start (unix seconds)
FILE --facts: KEY=VALUE lines (N, runs, machine, writes seen...).

Prints the section for this N, and the scaling table when BENCHMARKS.md
holds other N, and rewrites --out: one section per N, newest run at each N
kept, rendered from the JSON each section carries in an HTML comment
("<!-- bench-data {...} -->"), so a run at another N never loses this one.

With --servers the inputs are bench/servers.sh's and only the "Directory
servers" section of that SERVER_N changes (bench/report_servers.py); the
other sections stay as they are.
"""

import argparse
import json
import os
import re
import statistics
import sys

import report_servers

DATA_RE = re.compile(r"^<!-- bench-data (\{.*\}) -->$", re.M)
MIB = 1024.0
# Targets (the "Speed at directory scale" issue), set for N = 100,000.
FLOOR_RATIO = 1.25
NOCHANGE_MAX = 0.050
EDITS_MAX = 0.150
RATE_SHARE = 0.90
RATE = 50.0
RSS_MAX_MIB = 64.0
# #17: the first create of a first sync within this times row 1's floor.
FIRST_CREATE_RATIO = 1.5
# Scaling: a cost may grow by the ratio of the N plus this much noise.
LINEAR_SLACK = 1.10
# Issue #17: a change's cost above a run with nothing changed (rows 4b and
# 4c less row 3) stays within this of its value at the smallest N.
CHANGE_GROWTH_MAX = 1.20
FLAT_FROM_N = 20000
AGENT_ROWS = ("2", "3", "4", "4b", "4c", "5")


def read_inputs(results, facts):
    rows, r5, r7 = {}, [], []
    with open(results) as f:
        for line in f:
            w = line.split()
            if not w:
                continue
            if w[0] == "5r":
                r5.append([float(x) for x in w[1:]])
            elif w[0] == "7r":
                r7.append([float(x) for x in w[1:]])
            else:
                rows.setdefault(w[0], []).append([float(w[1]), int(w[2])])
    kv = report_servers.read_facts(facts)
    return {"n": int(kv["n"]), "facts": kv, "rows": rows, "r5": r5,
            "r7": r7}


def secs(x):
    return "%.3f s" % x


def stats(runs):
    """(median, min, max) of the seconds, peak RSS MiB over the runs."""
    t = [r[0] for r in runs]
    return (statistics.median(t), min(t), max(t),
            max(r[1] for r in runs) / MIB)


def yesno(ok):
    return "yes" if ok else "**no**"


def writes_note(f, key):
    w = int(f.get(key, "0"))
    return "0 writes" if w == 0 else "**%d writes**" % w


def incr_label(f, key, runs):
    k = int(f.get(key, "0"))
    if k == runs:
        return "incremental"
    if k == 0:
        return "incremental (not yet implemented: full read)"
    return "incremental in %d of %d runs only" % (k, runs)


def row(cells):
    return "| " + " | ".join(cells) + " |"


def timed_row(num, what, runs, target, met):
    m, lo, hi, rss = stats(runs)
    return row([num, what, secs(m), secs(lo), secs(hi), "%.1f" % rss,
                target, met])


def rate_row(d):
    f, r5 = d["facts"], d["r5"]
    want = int(f["creates"])
    rates = [c[0] / c[5] for c in r5]
    n429 = sum(int(c[2]) for c in r5)
    short = [int(c[0]) for c in r5 if int(c[0]) != want]
    m = statistics.median(rates)
    ok = m >= RATE_SHARE * RATE and n429 == 0 and not short
    met = "%s (%d × 429%s)" % (yesno(ok), n429,
                               ", created %s" % short if short else "")
    return row(["5 rate", "achieved creates per second over (5) = creates / "
                "wall time", "%.1f/s" % m, "%.1f/s" % min(rates),
                "%.1f/s" % max(rates), "",
                "≥ %.0f/s (%.0f %% of %.0f), no 429" % (
                    RATE_SHARE * RATE, RATE_SHARE * 100, RATE), met])


def change_cost(rows, key):
    """What reading and planning row key's change cost: per round, its run
    less the run with nothing changed just before it in the same round
    (row 3b for 4b, row 3 for 4c) and less the time it took sending its
    changes (row KEYs); the median of those.  Paired within a round, the
    machine's drift over the rounds cancels (4b's own cost is a few ms
    beside 0.1 s of sending).  Without one such run per round (data of
    an older bench), the medians' difference.  None when not measured."""
    base = "3b" if key == "4b" and "3b" in rows else "3"
    if key not in rows or base not in rows:
        return None
    runs, before = rows[key], rows[base]
    sent = rows.get(key + "s", [])
    paired = len(before) == len(runs) and (key == "4c" or base == "3b")
    if paired and len(sent) in (0, len(runs)):
        spent = [s[0] for s in sent] or [0.0] * len(runs)
        return statistics.median(r[0] - b[0] - t
                                 for r, b, t in zip(runs, before, spent))
    spent = stats(sent)[0] if sent else 0.0
    return stats(runs)[0] - stats(before)[0] - spent


def above3(rows, key):
    v = change_cost(rows, key)
    if v is None:
        return "-"
    sent = rows.get(key + "s")
    return "%s%s" % (secs(v), "" if not sent else
                     ", besides %s sending the changes" % secs(
                         stats(sent)[0]))


def table(d):
    f, rows = d["facts"], d["rows"]
    runs, n = int(f["runs"]), d["n"]
    full = f.get("full_flag", "no")
    floor = stats(rows["1"])[0]
    out = [row(["#", "what", "median", "min", "max", "peak RSS MiB",
                "target", "met?"]),
           row(["---"] * 2 + ["---:"] * 4 + ["---"] * 2)]
    out.append(timed_row("1", "floor: `ldapsearch -E pr=1000/noprompt`, "
                         "same attributes, server and account", rows["1"],
                         "", ""))
    m2 = stats(rows["2"])[0]
    out.append(timed_row(
        "2", "`sync%s`, nothing changed, full read%s; %s" % (
            " --full" if full == "--full" else "",
            "" if f.get("incremental_2", "0") == "0" else
            " (**but it logged an incremental read in %s runs**)" %
            f["incremental_2"], writes_note(f, "writes_2")), rows["2"],
        "≤ %.2f × (1) = %s" % (FLOOR_RATIO, secs(FLOOR_RATIO * floor)),
        yesno(m2 <= FLOOR_RATIO * floor and f.get("writes_2") == "0")))
    m3 = stats(rows["3"])[0]
    out.append(timed_row(
        "3", "`sync`, nothing changed, %s; %s" % (
            incr_label(f, "incremental_3", runs), writes_note(f, "writes_3")),
        rows["3"], "< %s" % secs(NOCHANGE_MAX),
        yesno(m3 < NOCHANGE_MAX and f.get("writes_3") == "0")))
    m4 = stats(rows["4"])[0]
    out.append(timed_row(
        "4", "`sync` after %s `description` edits, %s; %s" % (
            f["edits"], incr_label(f, "incremental_4", runs),
            writes_note(f, "writes_4")),
        rows["4"], "< %s" % secs(EDITS_MAX),
        yesno(m4 < EDITS_MAX and f.get("writes_4") == "0")))
    out.append(timed_row(
        "4b", "`sync` after %s new users, %s; %s creates in all; "
        "above (3): %s" % (f["newusers"], incr_label(f, "incremental_4b",
                                                     runs),
                           f.get("writes_4b", "?"), above3(rows, "4b")),
        rows["4b"], "", ""))
    if "4c" in rows:
        out.append(timed_row(
            "4c", "`sync` after %s display names changed (`cn`), %s; %s; "
            "above (3): %s" % (f["edits"], incr_label(f, "incremental_4c",
                                                      runs),
                               writes_note(f, "writes_4c"),
                               above3(rows, "4c")),
            rows["4c"], "", ""))
    out.append(timed_row(
        "5", "first `sync` creating %s users, fake at 50 ms and 50/s, "
        "requests_per_second = 50, max_in_flight = 8 (%s run%s)" % (
            "{:,}".format(int(f["creates"])), f["runs5"],
            "" if f["runs5"] == "1" else "s"), rows["5"], "", ""))
    out.append(rate_row(d))
    peak = max(stats(rows[k])[3] for k in AGENT_ROWS if k in rows)
    out.append(row(["6", "peak RSS of the agent, largest over rows 2-5",
                    "", "", "", "%.1f" % peak, "< %.0f MiB" % RSS_MAX_MIB,
                    yesno(peak < RSS_MAX_MIB)]))
    out.extend(first_sync_rows(d, floor))
    return out


def first_create_times(r7):
    """Row 7's runs: seconds from each start to its first create."""
    return [run[1] - run[2] for run in r7]


def first_sync_rows(d, floor):
    """Row 7: the first sync of the whole directory (#17), when run."""
    f, rows, r7 = d["facts"], d["rows"], d.get("r7")
    if not r7 or "7" not in rows:
        return []
    created = min(run[0] for run in r7)
    rss = stats(rows["7"])[3]
    firsts = sorted(first_create_times(r7))
    to_first = statistics.median(firsts)
    return [
        timed_row("7", "first `sync` of the whole directory from a new "
                  "state store, every user a create (max_creates = 100%%), "
                  "fake with no latency or rate limit, stopped by SIGTERM "
                  "after %s creates (at least %s seen), %d run%s: the "
                  "time to then, and the peak RSS, the whole plan made" % (
                      "{:,}".format(int(f.get("first7_stop", "0"))),
                      "{:,}".format(int(created)), len(r7),
                      "" if len(r7) == 1 else "s"), rows["7"],
                  "< %.0f MiB" % RSS_MAX_MIB, yesno(rss < RSS_MAX_MIB)),
        row(["7 first", "the first create reached the fake after the "
             "start of (7)", secs(to_first), secs(firsts[0]), secs(firsts[-1]),
             "",
             "≤ %.1f × (1) = %s" % (FIRST_CREATE_RATIO,
                                    secs(FIRST_CREATE_RATIO * floor)),
             "%s (%.2f×)" % (yesno(to_first <= FIRST_CREATE_RATIO * floor),
                             to_first / floor)]),
    ]


def notes(d):
    f, r5 = d["facts"], d["r5"]
    runs = int(f["runs"])
    steady = ["%.1f/s" % ((c[0] - 1) / (c[4] - c[3]))
              for c in r5 if c[0] > 1 and c[4] > c[3]]
    out = [
        "- Times: wall clock (`time.monotonic()`) around the process, so "
        "start-up is included (about 2 ms of it is the harness's fork and "
        "GNU time). Peak RSS: GNU time's maximum resident set, the largest "
        "of the row's runs%s." % (
            "" if f.get("gnu_time") == "yes" else
            " (**/usr/bin/time was missing: the figure includes the "
            "harness's own ~11 MiB**)"),
        "- Rows 1 to 4 ran interleaved: each of %d rounds ran one of each, "
        "so other work on the machine hits them alike. The agent's config: "
        "the defaults but for base_dn, requests_per_second = 50, "
        "max_in_flight = 8 and max_creates = 100%%, in every row." % runs,
        "- Row 1 read %s entries (the users under the agent's base_dn; "
        "the agent's first row-2 run says it read %s) and wrote LDIF to "
        "/dev/null, paging by 1,000; the agent pages by its default "
        "page_size, 500." % ("{:,}".format(int(f.get("floor_entries") or 0)),
                             "{:,}".format(int(f.get("agent_read") or 0))),
        "- Writes to the fake: rows 2 and 3 %s and %s, row 4 %s; row 4b "
        "sent %s (expected %d)%s." % (
            writes_note(f, "writes_2"), writes_note(f, "writes_3"),
            writes_note(f, "writes_4"), f.get("writes_4b", "?"),
            runs * int(f["newusers"]),
            "" if "writes_3b" not in f else
            "; row 3b (nothing changed, just before each 4b) %s" %
            writes_note(f, "writes_3b")),
        "- Incremental read (the agent's log names it): row 3 in %s of %d "
        "runs, row 4 in %s, row 4b in %s, row 4c in %s. Row 2 %s." % (
            f.get("incremental_3", "0"), runs, f.get("incremental_4", "0"),
            f.get("incremental_4b", "0"), f.get("incremental_4c", "-"),
            "ran `sync --full`" if f.get("full_flag") == "--full" else
            "ran plain `sync` (this agent has no `--full` yet)"),
        "- Setup (not timed in the table): `adopt` of the %s users took "
        "%.2f s; the settling sync %.2f s and sent %s writes." % (
            "{:,}".format(d["n"]), float(f.get("adopt_seconds", "0")),
            float(f.get("settle_seconds", "0")), f.get("settle_writes", "?")),
        "- Row 5: RUNS5 = %s (default 5; each run takes about %d s). "
        "Requests seen by the fake, per run: %s; "
        "429 answers: %s. Steady create rate, first to last create: %s." % (
            f["runs5"], int(f["creates"]) // 50,
            ", ".join(str(int(c[1])) for c in r5),
            ", ".join(str(int(c[2])) for c in r5), ", ".join(steady) or "-"),
        "- Targets are those of the issue, set for N = 100,000.",
    ]
    return out


def section(d):
    f = d["facts"]
    mem_kb = int(f.get("mem", "0 kB").split()[0] or 0)
    head = [
        "## N = %s users" % "{:,}".format(d["n"]),
        "",
        "%s; N = %s (+ %s for row 5); RUNS = %s (row 5: %s). Machine: %s "
        "CPUs, %s; %.1f GiB RAM; %s; %s; load average %s at the start, "
        "%s at the end. Agent: %s at %s." % (
            f["date"], "{:,}".format(d["n"]), "{:,}".format(
                int(f["creates"])), f["runs"], f["runs5"], f["nproc"],
            f["cpu"] or "unknown CPU", mem_kb / 1024.0 / 1024.0,
            f["kernel"], f["slapd"] or "slapd ?",
            f.get("load_start", "?"), f.get("load_end", "?"), f["agent"],
            f["commit"] or "?"),
        "",
    ]
    return head + table(d) + [""] + notes(d) + [
        "", "<!-- bench-data %s -->" % json.dumps(d, sort_keys=True)]


def machine(d):
    return (d["facts"].get("cpu"), d["facts"].get("nproc"))


def scaling(sections):
    """Medians per N and whether each grows no faster than N."""
    ds = sorted(sections.values(), key=lambda x: x["n"])
    ds = [x for x in ds if machine(x) == machine(ds[-1])]
    if len(ds) < 2:
        return []
    out = ["## Scaling", "",
           "Medians (seconds; peak RSS in MiB) at each N measured on this "
           "machine; \"linear?\" holds when each step's cost ratio is at "
           "most the N ratio (plus %d %% for noise); the rows \"above 3\" "
           "are a change's own cost (per round, the run less the run with "
           "nothing changed just before it and less the time spent sending "
           "the changes; the median over the rounds), and hold (#17) when "
           "the largest N's is within 20 %% of that at 20,000. Row 1 is slapd and "
           "ldapsearch alone: what it costs per user at each N is the "
           "directory's own scaling. Commits: %s." % (
               round((LINEAR_SLACK - 1) * 100),
               ", ".join("N = %s: %s" % ("{:,}".format(x["n"]),
                                         x["facts"].get("commit", "?"))
                         for x in ds)), "",
           row(["row"] + ["N = %s" % "{:,}".format(x["n"]) for x in ds] +
               ["linear?"]),
           row(["---"] + ["---:"] * len(ds) + ["---"])]
    names = {"1": "1 floor", "2": "2 no change, full", "3": "3 no change",
             "4": "4 100 edits", "4b": "4b 20 new users",
             "4c": "4c 100 names changed"}
    for key in ("1", "2", "3", "4", "4b", "4c"):
        vals = [stats(x["rows"][key])[0] if key in x["rows"] else None
                for x in ds]
        out.append(row([names[key]] + [
            "-" if v is None else "%.3f (%.2f µs/user)" % (v, v / x["n"] * 1e6)
            for v, x in zip(vals, ds)] + [linear(ds, vals)]))
    for key in ("4b", "4c"):
        vals = [change_cost(x["rows"], key) for x in ds]
        # The range: from 20,000 users up.
        out.append(row([names[key] + ", above 3"] + [
            "-" if v is None else "%.3f" % v for v in vals] +
            [flat([v for v, x in zip(vals, ds) if x["n"] >= FLAT_FROM_N])]))
    rss = [max(stats(x["rows"][k])[3] for k in AGENT_ROWS if k in x["rows"])
           for x in ds]
    out.append(row(["6 peak RSS"] + ["%.1f" % v for v in rss] +
                   [linear(ds, rss)]))
    # Row 7, where run: its peak RSS (#17: under 64 MiB at every N) and
    # its first create's time over row 1's.
    if any(x.get("r7") and "7" in x["rows"] for x in ds):
        rss7, first7 = [], []
        for x in ds:
            r7 = x.get("r7")
            if not r7 or "7" not in x["rows"]:
                rss7.append("-")
                first7.append("-")
                continue
            rss7.append("%.1f" % stats(x["rows"]["7"])[3])
            first7.append("%.2f×" % (statistics.median(first_create_times(r7)) /
                                     stats(x["rows"]["1"])[0]))
        out.append(row(["7 first sync, peak RSS"] + rss7 + ["-"]))
        out.append(row(["7 first create ÷ floor"] + first7 + ["-"]))
    return out + [""]


def flat(vals):
    """Issue #17: within CHANGE_GROWTH_MAX of the smallest N's value."""
    known = [v for v in vals if v is not None]
    if len(known) < 2 or known[0] <= 0:
        return "-"
    return "%s (%.2fx)" % (yesno(known[-1] <= CHANGE_GROWTH_MAX * known[0]),
                           known[-1] / known[0])


def linear(ds, vals):
    ok = True
    for a, b, va, vb in zip(ds, ds[1:], vals, vals[1:]):
        if va is None or vb is None or va <= 0:
            continue
        ok = ok and vb / va <= LINEAR_SLACK * b["n"] / a["n"]
    return yesno(ok)


# Sections other scripts write (bench/report_groups.py), kept as they are.
# Written by hand, kept as they are when a run rewrites the file.
KEPT_SECTIONS = ("## Scope by group", "## Where a run with nothing changed spends its time",
                 "## A first sync: memory and the first create",
                 "## Row 2: a full read with nothing changed, against ldapsearch",
                 "## A change's own cost: rows 4b and 4c",
                 "## A change's own cost, the sizes interleaved (make bench-own)")


def kept_text(text):
    """The kept sections of text, each up to the next "## " heading."""
    out = []
    for title in KEPT_SECTIONS:
        at = text.find("\n" + title + "\n")
        if at < 0:
            continue
        end = text.find("\n## ", at + 1)
        out.append(text[at + 1:end if end >= 0 else len(text)].rstrip("\n"))
    return out


def load(path):
    """The sections of rows 1 to 6 by N, and the servers' by SERVER_N."""
    sections = {}
    try:
        with open(path) as f:
            text = f.read()
    except FileNotFoundError:
        return sections, {}
    for m in DATA_RE.finditer(text):
        try:
            d = json.loads(m.group(1))
            # Written when row 7 ran once: one run, not a list of them.
            if d.get("r7") and not isinstance(d["r7"][0], list):
                d["r7"] = [d["r7"]]
            sections[int(d["n"])] = d
        except (ValueError, KeyError, TypeError):
            continue
    return sections, report_servers.load(text)


def document(sections, servers, kept):
    lines = ["# Benchmarks", "",
             "Written by `make bench` (bench/run.sh, bench/report.py): a "
             "throwaway slapd with N users and a fake iMocha, on the machine "
             "named in each section. Each section is replaced when `make "
             "bench` runs again at the same N (`make bench N=10000`, "
             "`N=1000000`); the other sections stay. The \"Directory "
             "servers\" sections (bench/servers.sh) measure the full read on "
             "each directory server the agent supports (OpenLDAP, 389-DS, "
             "Samba AD) with SERVER_N users, and the incremental reads where "
             "the server offers them (OpenLDAP, AD); a run replaces the "
             "servers it measured at that SERVER_N.", ""]
    lines += scaling(sections)
    for n in sorted(sections):
        lines += section(sections[n]) + [""]
    lines += report_servers.sections_text(servers)
    for k in kept:
        lines += ["", k, ""]
    return "\n".join(lines)


def main(argv):
    ap = argparse.ArgumentParser(prog="report.py")
    ap.add_argument("--results", required=True)
    ap.add_argument("--facts", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--servers", action="store_true",
                    help="the inputs are bench/servers.sh's")
    opts = ap.parse_args(argv)
    sections, servers = load(opts.out)
    try:
        with open(opts.out) as f:
            kept = kept_text(f.read())
    except FileNotFoundError:
        kept = []
    if opts.servers:
        d = report_servers.read_inputs(opts.results, opts.facts)
        d = report_servers.merge(servers.get(d["n"]), d)
        servers[d["n"]] = d
        print("\n".join(report_servers.section(d)[:-1]))
    else:
        d = read_inputs(opts.results, opts.facts)
        sections[d["n"]] = d
        print("\n".join(section(d)[:-1]))
        sc = scaling(sections)
        if sc:
            print("\n".join(sc))
    tmp = opts.out + ".tmp"
    with open(tmp, "w") as f:
        f.write(document(sections, servers, kept))
    os.replace(tmp, opts.out)
    print("bench: written to %s" % opts.out)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
