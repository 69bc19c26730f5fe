#!/bin/sh
# metrics: [log] metrics_file after real syncs (one partial, with a 400 from
# the fake): it parses as Prometheus text (a small parser below: HELP and
# TYPE before each family's samples, "name{labels} value" lines), its
# numbers match `status --json` and the fake's request counts, it is
# replaced by rename (a new inode, no FILE.tmp left), a run that met the
# lock is counted, and an unwritable path is a warning that leaves the
# run's exit status alone.
. "$L2I_TOP/tests/lib/common.sh"
. "$L2I_TOP/tests/lib/slapd.sh"
t_setup
slapd_start "$T/ldap" || skip_all "slapd could not start"
fake_start "$T/fake" --bu 1:Engineering || { not_ok "fake iMocha starts"; t_done; }
{ gen_ou Engineering; gen_users 5 Engineering 1; } | slapd_add "$T/ldap" ||
    { not_ok "directory loads"; t_done; }
mkdir "$T/textfile"
M=$T/textfile/ldap2imocha.prom
CFG_LOG_EXTRA="metrics_file = $M" write_config "$T/agent.ini"

# prom: parse $M into $T/prom.json ({"name{labels}": value}); fails, saying
# why, on anything that is not the text exposition format.
prom() {
	"$L2I_PY" - "$M" "$T/prom.json" <<'EOF'
import json, re, sys
name_re = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
sample_re = re.compile(r"^(%s)(\{(?:[a-zA-Z_][a-zA-Z0-9_]*=\"(?:[^\"\\\n]|\\.)*\"(?:,|(?=\})))*\})? "
                       r"([-+]?(?:[0-9]+(?:\.[0-9]*)?(?:[eE][-+]?[0-9]+)?|NaN|[-+]Inf))"
                       r"(?: -?[0-9]+)?$" % name_re)
text = open(sys.argv[1]).read()
if not text.endswith("\n"):
    sys.exit("no newline at the end")
helps, types, out = {}, {}, {}
for n, line in enumerate(text.split("\n")[:-1], 1):
    m = re.match(r"^# (HELP|TYPE) (%s) (.+)$" % name_re, line)
    if m:
        kind, name, rest = m.groups()
        table = helps if kind == "HELP" else types
        if name in table:
            sys.exit("line %d: a second %s for %s" % (n, kind, name))
        if kind == "TYPE" and rest not in ("counter", "gauge", "histogram", "summary", "untyped"):
            sys.exit("line %d: bad type %s" % (n, rest))
        table[name] = rest
        continue
    m = sample_re.match(line)
    if not m:
        sys.exit("line %d is neither a comment nor a sample: %r" % (n, line))
    name = m.group(1)
    if name not in helps or name not in types:
        sys.exit("line %d: %s has no HELP and TYPE before it" % (n, name))
    if types[name] == "counter" and not name.endswith("_total"):
        sys.exit("line %d: counter %s does not end in _total" % (n, name))
    key = name + (m.group(2) or "")
    if key in out:
        sys.exit("line %d: %s twice" % (n, key))
    out[key] = float(m.group(3))
for name in helps:
    if name not in types:
        sys.exit("%s has HELP but no TYPE" % name)
json.dump(out, open(sys.argv[2], "w"))
EOF
}

# val KEY: one sample's value from $T/prom.json ("-" when absent).
val() {
	"$L2I_PY" -c 'import json, sys; v = json.load(open(sys.argv[1])).get(sys.argv[2]); print("-" if v is None else ("%d" % v if v == int(v) else v))' \
	    "$T/prom.json" "$1"
}

# --- a sync that creates five users, one that is partial --------------------------
run_agent -c "$T/agent.ini" sync
check_eq "first sync: exit 0" "$RC" 0 || diag "$(tail -n 20 "$T/err")"
check "the metrics file exists" test -s "$M"
inode1=$(stat -c %i "$M")
gen_users 2 Engineering 6 | slapd_add "$T/ldap"
fake_faults '[{"path":"/v3/accounts/user/create","email":"user00006@example.com","status":400}]'
run_agent -c "$T/agent.ini" sync
check_eq "a sync with a refused create: exit 1" "$RC" 1
check "the metrics file parses as Prometheus text" prom
check_eq "no FILE.tmp left behind" "$(ls -A "$T/textfile")" "ldap2imocha.prom"
check "the file was replaced, not rewritten in place (new inode)" \
    test "$(stat -c %i "$M")" != "$inode1"
check_eq "the collector may read it (mode 644)" "$(stat -c %a "$M")" 644

# --- the numbers match status --json -----------------------------------------------
run_agent -c "$T/agent.ini" status --json
cp "$T/out" "$T/status.json"
sj() {
	"$L2I_PY" -c "import json, sys; S = json.load(open(sys.argv[1])); print($1)" "$T/status.json"
}
check_eq "users by state match status" \
    "$(val 'ldap2imocha_users{state="active"}') $(val 'ldap2imocha_users{state="inactive"}') $(val 'ldap2imocha_users{state="pending"}') $(val 'ldap2imocha_users{state="failed"}')" \
    "$(sj '*(S["users"][k] for k in ("active", "inactive", "pending", "failed"))')"
check_eq "6 active and 1 failed user" "$(val 'ldap2imocha_users{state="active"}') $(val 'ldap2imocha_users{state="failed"}')" "6 1"
check_eq "directory entries match status" \
    "$(val 'ldap2imocha_directory_entries{kind="read"}') $(val 'ldap2imocha_directory_entries{kind="in_scope"}') $(val 'ldap2imocha_directory_entries{kind="skipped"}')" \
    "$(sj '*(S["directory"][k] for k in ("entries", "in_scope", "skipped"))')"
check_eq "last run exit status matches status" "$(val ldap2imocha_last_run_exit_status)" \
    "$(sj 'S["runs"][0]["exit_status"]')"
check_eq "runs by outcome: one done, one partial, nothing else" \
    "$(val 'ldap2imocha_runs_total{outcome="done"}') $(val 'ldap2imocha_runs_total{outcome="partial"}') $(val 'ldap2imocha_runs_total{outcome="ldap"}') $(val 'ldap2imocha_runs_total{outcome="locked"}') $(val 'ldap2imocha_runs_total{outcome="unfinished"}')" \
    "1 1 0 0 0"
check_eq "every run counted once" \
    "$("$L2I_PY" -c 'import json, sys; d = json.load(open(sys.argv[1])); print(int(sum(v for k, v in d.items() if k.startswith("ldap2imocha_runs_total"))))' "$T/prom.json")" \
    "$(sj 'len(S["runs"])')"
check_eq "last run duration matches status" "$(val ldap2imocha_last_run_duration_seconds)" \
    "$(sj '(lambda v: "%d" % v if v == int(v) else v)(S["runs"][0]["duration_ms"] / 1000)')"
# The store's ended_at as Unix time, to the millisecond.
ended() {
	"$L2I_PY" -c 'import datetime, sys; t = datetime.datetime.strptime(sys.argv[1], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=datetime.timezone.utc); print(round(t.timestamp(), 3))' "$1"
}
check_eq "last run time is when the last run ended" "$(val ldap2imocha_last_run_timestamp_seconds)" \
    "$(ended "$(sj 'S["runs"][0]["ended_at"]')")"
check_eq "last success is when the first (exit 0) run ended" \
    "$(val ldap2imocha_last_success_timestamp_seconds)" "$(ended "$(sj 'S["runs"][1]["ended_at"]')")"

# --- API calls match what the fake saw ------------------------------------------------
stats=$(fake_get /_fake/stats)
fs() {
	printf '%s\n' "$stats" | "$L2I_PY" -c "import json, sys; F = json.load(sys.stdin); print($1)"
}
check_eq "API calls by outcome match the fake's answers" \
    "$(val 'ldap2imocha_api_calls_total{outcome="2xx"}') $(val 'ldap2imocha_api_calls_total{outcome="4xx"}') $(val 'ldap2imocha_api_calls_total{outcome="429"}') $(val 'ldap2imocha_api_calls_total{outcome="5xx"}') $(val 'ldap2imocha_api_calls_total{outcome="transport"}')" \
    "$(fs 'F["status_counts"].get("200", 0), F["status_counts"].get("400", 0), F["status_counts"].get("429", 0), sum(v for k, v in F["status_counts"].items() if k.startswith("5")), F["dropped"]')"
check_eq "2 business-unit lists + 7 creates answered 200, one 400" \
    "$(val 'ldap2imocha_api_calls_total{outcome="2xx"}') $(val 'ldap2imocha_api_calls_total{outcome="4xx"}')" "8 1"

# --- a 5xx retried and a run that met the lock ----------------------------------------
fake_faults '[{"path":"/v3/accounts/business-units","status":503}]'
# Hold the run lock the way another instance would (a POSIX lock, which
# conflicts with the agent's open file description lock).
"$L2I_PY" -c '
import fcntl, os, sys, time
f = open(sys.argv[1], "a")
fcntl.lockf(f, fcntl.LOCK_EX)
open(sys.argv[2], "w").close()
time.sleep(120)' "$T/state.db.lock" "$T/locked" &
locker=$!
echo "$locker" >"$T/locker.pid"
_t_register agent "$T/locker.pid"	# stopped at exit, whatever happens
wait_for 30 test -e "$T/locked" || not_ok "the lock is taken"
run_agent -c "$T/agent.ini" sync
check_eq "a sync while the lock is held: exit 6" "$RC" 6
_t_stop_pidfile "$T/locker.pid" "$T/locked"
run_agent -c "$T/agent.ini" sync
check_eq "a sync after a 503: exit 0" "$RC" 0 || diag "$(tail -n 20 "$T/err")"
prom
check_eq "the run that met the lock is counted" "$(val 'ldap2imocha_runs_total{outcome="locked"}')" 1
check_eq "the 503 is counted" "$(val 'ldap2imocha_api_calls_total{outcome="5xx"}')" 1
check_eq "runs: 2 done, 1 partial, 1 locked" \
    "$(val 'ldap2imocha_runs_total{outcome="done"}') $(val 'ldap2imocha_runs_total{outcome="partial"}') $(val 'ldap2imocha_runs_total{outcome="locked"}')" \
    "2 1 1"
check_eq "last run: exit 0" "$(val ldap2imocha_last_run_exit_status)" 0
check_eq "API call total matches the fake's total" \
    "$("$L2I_PY" -c 'import json, sys; d = json.load(open(sys.argv[1])); print(int(sum(v for k, v in d.items() if k.startswith("ldap2imocha_api_calls_total"))))' "$T/prom.json")" \
    "$(fake_get /_fake/stats | "$L2I_PY" -c 'import json, sys; print(json.load(sys.stdin)["total"])')"

# --- an unwritable metrics path: a warning, the run's status unchanged ------------------
CFG_LOG_EXTRA="metrics_file = $T/no/such/dir/ldap2imocha.prom" write_config "$T/bad.ini"
run_agent -c "$T/bad.ini" sync
check_eq "unwritable metrics path: the sync still exits 0" "$RC" 0
check_contains "and warns about it" "$(cat "$T/err")" \
    "metrics: cannot write $T/no/such/dir/ldap2imocha.prom.tmp: No such file or directory"
check "nothing written there" test ! -e "$T/no"
# --- the Grafana dashboard reads these metrics ------------------------------------------
check "the Grafana dashboard parses and queries only metrics the agent writes" \
    "$L2I_PY" - "$L2I_TOP/packaging/grafana/ldap2imocha.json" "$T/prom.json" <<'EOF'
import json, re, sys
d = json.load(open(sys.argv[1]))
have = {k.split("{")[0] for k in json.load(open(sys.argv[2]))}
ds = [v for v in d["templating"]["list"] if v["type"] == "datasource"]
assert ds and ds[0]["query"] == "prometheus", "no Prometheus datasource variable"
assert d["panels"], "no panels"
for p in d["panels"]:
    assert p["datasource"]["uid"] == "${%s}" % ds[0]["name"], p["title"]
    for t in p["targets"]:
        for name in re.findall(r"ldap2imocha_[a-z_]+", t["expr"]):
            assert name in have, "%s: %s is not a metric the agent writes" % (p["title"], name)
EOF
# plan changes nothing anywhere, the metrics file included.
before=$(cat "$M")
run_agent -c "$T/agent.ini" plan
check_eq "plan leaves the metrics file alone" "$(cat "$M")" "$before"
t_done
