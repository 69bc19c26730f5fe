#!/usr/bin/python3
"""bench/report_own.py: the section of `make bench-own` (Python 3 stdlib only).

  report_own.py --results FILE [--pages FILE] --facts FILE --out BENCHMARKS.md

FILE --results, one line per timed sync, written by bench/own.sh:
  N ROW SECONDS SENT INCREMENTAL   ROW 3, 4, 4c, 3b or 4b; SENT the seconds
                                   the agent says it spent sending; 1 when
                                   its log says it read incrementally
FILE --pages, one line per sync of the round run under strace:
  N ROW READS INCREMENTAL          READS the pread(2) calls on the state
                                   file and its WAL: the pages it read
FILE --facts: KEY=VALUE lines (the machine, the rounds).

A round's own cost of 4c is its 4c less its 3; of 4b, its 4b less its 3b
less what the 4b run spent sending (#17 reports the creates' requests and
journal commits apart).  Printed and written to --out as the section
TITLE (replaced, or added at the end; bench/report.py keeps it): the
medians over the rounds at each N, the ratio of the largest N's to the
smallest N's with a 90 % bootstrap interval (resampled rounds, fixed
seed), and whether the ratio is within report.CHANGE_GROWTH_MAX; then
the pages each change read of its own at each N, and their ratio.
"""

import argparse
import json
import os
import random
import statistics
import sys

import report_servers
from report import CHANGE_GROWTH_MAX

TITLE = "## A change's own cost, the sizes interleaved (make bench-own)"
RESAMPLES = 5000
PAIRS = (("4c", "3", "100 display names changed (4c less 3)"),
         ("4b", "3b", "20 new users (4b less 3b, less sending)"))
PAGE_PAIRS = (("4c", "3", "100 display names changed (4c less 3)"),
              ("4b", "3b", "20 new users (4b less 3b, the creates' journal "
               "commits included)"))


def read_inputs(results, facts):
    runs = {}
    with open(results) as f:
        for line in f:
            w = line.split()
            if len(w) == 5:
                runs.setdefault(int(w[0]), {}).setdefault(w[1], []).append(
                    (float(w[2]), float(w[3]), int(w[4])))
    return runs, report_servers.read_facts(facts)


def read_pages(path):
    """{N: {ROW: (READS, INCREMENTAL)}} of the counted round."""
    pages = {}
    with open(path) as f:
        for line in f:
            w = line.split()
            if len(w) == 4:
                pages.setdefault(int(w[0]), {})[w[1]] = (int(w[2]), int(w[3]))
    return pages


def pages_lines(pages, ns):
    """The table of pages read: each change's run less its quiet run's."""
    lines = ["", "Pages of the state file each change read of its own, in one "
             "more round with every run under strace (its pread(2) calls on the "
             "state file and its WAL, one page each), its run's less the quiet "
             "run's before it: a count, which the machine's noise does not "
             "move.", "",
             "| change | " + " | ".join("N = {:,}".format(n) for n in ns) +
             " | ratio |", "| --- |" + " --- |" * len(ns) + " --- |"]
    own = {}
    for key, base, what in PAGE_PAIRS:
        cells = []
        for n in ns:
            rows = pages.get(n, {})
            if key not in rows or base not in rows:
                cells.append("?")
                continue
            own["%s %d" % (key, n)] = rows[key][0] - rows[base][0]
            cells.append("{:,}".format(own["%s %d" % (key, n)]) +
                         ("" if rows[key][1] and rows[base][1] else " (read in full)"))
        a, b = own.get("%s %d" % (key, ns[0])), own.get("%s %d" % (key, ns[-1]))
        ratio = "%.2f" % (b / a) if a and b is not None else "?"
        lines.append("| %s | %s | %s |" % (what, " | ".join(cells), ratio))
    return lines, own


def own_costs(rows, key, base):
    """Milliseconds per round: the change's run less the quiet run before it."""
    return [(c[0] - c[1] - q[0]) * 1000 for c, q in zip(rows[key], rows[base])]


def ratio_interval(small, large, seed=17):
    rnd = random.Random(seed)
    out = []
    for _ in range(RESAMPLES):
        a = statistics.median(rnd.choices(small, k=len(small)))
        b = statistics.median(rnd.choices(large, k=len(large)))
        if a > 0:
            out.append(b / a)
    if not out:  # every resample's smaller median was 0 or less
        return None
    out.sort()
    return out[int(0.05 * len(out))], out[int(0.95 * len(out)) - 1]


def section(runs, pages, fx):
    ns = sorted(runs)
    lines = [TITLE, "",
             "Written by `make bench-own` (bench/own.sh, bench/report_own.py): "
             "one slapd, fake and state store per N, all up at once; %s rounds, "
             "each running every N in an order that alternates; a round at one "
             "N is rows 3, 4 (100 description edits), 4c, 3b and 4b of `make "
             "bench`. Own cost in ms, the median over the rounds [quartiles]; "
             "ratio: the largest N's over the smallest N's, with a 90 %% "
             "bootstrap interval; #17 asks at most %.2f." % (fx.get("rounds", "?"),
                                                             CHANGE_GROWTH_MAX), "",
             "| change | " + " | ".join("N = {:,}".format(n) for n in ns) +
             " | ratio [90 % interval] | within? |",
             "| --- |" + " --- |" * len(ns) + " --- | --- |"]
    data = {}
    for key, base, what in PAIRS:
        cells, meds = [], []
        incremental = True
        for n in ns:
            v = own_costs(runs[n], key, base)
            data["%s %d" % (key, n)] = [round(x, 2) for x in v]
            incremental &= all(r[2] == 1 for r in runs[n][key] + runs[n][base])
            q = statistics.quantiles(v, n=4) if len(v) > 1 else (v[0], v[0], v[0])
            meds.append(statistics.median(v))
            cells.append("%.1f [%.1f, %.1f]" % (meds[-1], q[0], q[2]))
        small, large = data["%s %d" % (key, ns[0])], data["%s %d" % (key, ns[-1])]
        interval = ratio_interval(small, large)
        ratio = meds[-1] / meds[0] if meds[0] > 0 else float("inf")
        ok = ratio <= CHANGE_GROWTH_MAX and incremental
        verdict = ("yes" if ok else "**no**") + ("" if incremental else
                                                 " (a run read in full)")
        lines.append("| %s | %s | %.2f [%s] | %s |" % (
            what, " | ".join(cells), ratio,
            "%.2f, %.2f" % interval if interval else "?", verdict))
    own_pages = {}
    if pages:
        more, own_pages = pages_lines(pages, ns)
        lines += more
    lines += ["", "%s; %s CPUs, %s; %s; load average %s at the start, %s at the end. "
              "Agent: %s at %s." % (fx.get("date", "?"), fx.get("nproc", "?"),
                                   fx.get("cpu", "?"), fx.get("kernel", "?"),
                                   fx.get("load_start", "?"), fx.get("load_end", "?"),
                                   fx.get("agent", "?"), fx.get("commit", "?")),
              "", "<!-- bench-own %s -->" % json.dumps(
                  {"facts": fx, "own_ms": data, "own_pages": own_pages},
                  sort_keys=True)]
    return lines


def replace_section(text, new):
    at = text.find("\n" + TITLE + "\n")
    if at < 0:
        return text.rstrip("\n") + "\n\n" + new + "\n"
    end = text.find("\n## ", at + 1)
    rest = text[end:] if end >= 0 else "\n"
    return text[:at + 1] + new + "\n" + rest


def main(argv):
    ap = argparse.ArgumentParser(prog="report_own.py")
    ap.add_argument("--results", required=True)
    ap.add_argument("--pages")
    ap.add_argument("--facts", required=True)
    ap.add_argument("--out", required=True)
    opts = ap.parse_args(argv)
    runs, fx = read_inputs(opts.results, opts.facts)
    if len(runs) < 2:
        print("report_own.py: no results for two sizes", file=sys.stderr)
        return 1
    pages = read_pages(opts.pages) if opts.pages else {}
    new = "\n".join(section(runs, pages, fx))
    print(new)
    try:
        with open(opts.out) as f:
            text = f.read()
    except FileNotFoundError:
        text = "# Benchmarks\n"
    tmp = opts.out + ".tmp"
    with open(tmp, "w") as f:
        f.write(replace_section(text, new))
    os.replace(tmp, opts.out)
    print("bench: written to %s" % opts.out)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
