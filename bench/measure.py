#!/usr/bin/python3
"""bench/measure.py: run one command; print its wall time and peak RSS.

  /usr/bin/python3 bench/measure.py [--stdout FILE] [--stderr FILE]
      [--timeout SECONDS] [--started FILE] -- CMD [ARGS...]

Prints one line "SECONDS MAXRSS_KIB EXIT" on stdout and exits 0 (the
command's own status is the third field; 124 when it outlived --timeout
and was killed, 128+N when signal N ended it).  SECONDS is
time.monotonic() from just before the fork to just after the wait, so it
holds the binary's start-up too.  MAXRSS_KIB is the command's own peak
RSS as GNU time (/usr/bin/time, Debian package "time") reports it: Linux
counts in a child's ru_maxrss the memory of the process that forked it,
so wait4(2) from this script would never report less than Python's own
~11 MiB, while GNU time's floor is ~2 MiB.  Without /usr/bin/time the
wait4 figure is printed.  The command's stdin is
/dev/null; its stdout and stderr go to the files (default /dev/null).
--started FILE: the wall clock (time.time()) just before the fork is
written there, the start from which SECONDS counts, so that a time
seen elsewhere (a fake's first request) can be measured from the same
start, not from before this script's own start-up (~45 ms).
Python 3 standard library only.
"""

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time

GNU_TIME = "/usr/bin/time"


def parse_args(argv):
    ap = argparse.ArgumentParser(prog="measure.py")
    ap.add_argument("--stdout", default=os.devnull)
    ap.add_argument("--stderr", default=os.devnull)
    ap.add_argument("--timeout", type=float, default=3600.0)
    ap.add_argument("--started")
    ap.add_argument("cmd", nargs=argparse.REMAINDER)
    opts = ap.parse_args(argv)
    if opts.cmd and opts.cmd[0] == "--":
        opts.cmd = opts.cmd[1:]
    if not opts.cmd:
        ap.error("no command given")
    return opts


def gnu_time_rss(path):
    """The "%M" GNU time wrote last in PATH (it may precede it with a
    "Command exited with non-zero status" line), or None."""
    try:
        with open(path) as f:
            lines = f.read().split()
    except OSError:
        return None
    return int(lines[-1]) if lines and lines[-1].isdigit() else None


def run(opts, cmd):
    """(seconds, exit status, rusage) of CMD."""
    timed_out = threading.Event()
    with open(os.devnull, "rb") as nul, open(opts.stdout, "wb") as out, \
            open(opts.stderr, "wb") as err:
        if opts.started:
            with open(opts.started, "w") as f:
                f.write("%.6f\n" % time.time())
        t0 = time.monotonic()
        # Its own process group, so a timeout ends GNU time and the command.
        proc = subprocess.Popen(cmd, stdin=nul, stdout=out, stderr=err,
                                start_new_session=True)

        def kill():
            timed_out.set()
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

        timer = threading.Timer(opts.timeout, kill)
        timer.start()
        try:
            # wait4 rather than Popen.wait: it gives this child's own rusage.
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
        t1 = time.monotonic()
        proc.returncode = os.waitstatus_to_exitcode(status)
    rc = proc.returncode
    if timed_out.is_set():
        rc = 124
    elif rc < 0:
        rc = 128 - rc
    return t1 - t0, rc, usage


def main(argv):
    opts = parse_args(argv)
    if not os.access(GNU_TIME, os.X_OK):
        secs, rc, usage = run(opts, opts.cmd)
        print("%.6f %d %d" % (secs, usage.ru_maxrss, rc))
        return 0
    fd, rss_file = tempfile.mkstemp(prefix="measure.")
    os.close(fd)
    try:
        # GNU time passes the command's exit status on.
        secs, rc, usage = run(opts, [GNU_TIME, "-f", "%M", "-o", rss_file,
                                     "--"] + opts.cmd)
        rss = gnu_time_rss(rss_file)
    finally:
        os.unlink(rss_file)
    print("%.6f %d %d" % (secs, usage.ru_maxrss if rss is None else rss, rc))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
