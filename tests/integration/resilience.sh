#!/bin/sh
# resilience: iMocha misbehaving under the agent, one fault per case
# (fake_imocha.py's fault queue): 429 with and without Retry-After, 5xx,
# connections dropped before and after the create happened, an answer
# slower than [imocha] timeout, a 400, retries exhausted, an unreachable
# iMocha and a 401 in the middle of a run.  Each case starts from an empty
# fake and a fresh state store, so its counts are its own.  The agent's
# backoff is real (about a second, doubling), so each case injects one or
# two retried faults at most.
. "$L2I_TOP/tests/lib/common.sh"
. "$L2I_TOP/tests/lib/slapd.sh"
t_setup
slapd_start "$T/ldap" || skip_all "slapd could not start"
fake_start "$T/fake" --bu 1:Engineering || { not_ok "fake iMocha starts"; t_done; }
{ gen_ou Engineering; gen_users 10 Engineering; } | slapd_add "$T/ldap" ||
    { not_ok "directory loads"; t_done; }
CREATE=/v3/accounts/user/create

# cfg NAME [MAX_RETRIES [TIMEOUT [MAX_IN_FLIGHT]]]: a fresh state store and
# an empty fake for one case; the config is $CFG, the store $DB.
cfg() {
	fake_reset
	CFG=$T/$1.ini DB=$T/$1.db
	CFG_STATE_FILE=$DB CFG_IMOCHA_EXTRA="requests_per_second = 200
max_in_flight = ${4:-4}
max_retries = ${2:-5}
timeout = ${3:-10}" write_config "$CFG"
}

# req PY [ARGS...]: run the Python code PY over the fake's request log; it
# sees R (the /v3 requests in arrival order), C (the creates), A (ARGS) and
# em(r) (the lower-case e-mail of a request's body, "" if none).
req() {
	_rq_py=$1
	shift
	fake_get /_fake/requests | "$L2I_PY" -c "
import json, sys
R = [r for r in json.load(sys.stdin)['requests'] if r['path'].startswith('/v3')]
C = [r for r in R if r['method'] == 'POST' and r['path'] == '$CREATE']
A = sys.argv[1:]
def em(r):
    b = r.get('body')
    if isinstance(b, dict):
        for k, v in b.items():
            if k.lower() == 'email' and isinstance(v, str):
                return v.lower()
    return ''
$_rq_py" "$@"
}

# creates_for EMAIL: create requests the fake saw for EMAIL.
creates_for() {
	req 'print(len([r for r in C if em(r) == A[0]]))' "$1"
}

# users: "N [createCounts...]" over the fake's users, e.g. "10 [1]" when
# ten users were each created exactly once.
users() {
	fake_get /_fake/users | "$L2I_PY" -c '
import json, sys
u = json.load(sys.stdin)["users"]
print(len(u), sorted({x["createCount"] for x in u}))'
}

# failure_line EMAIL: EMAIL's line in the failures part of `status` ($T/out).
failure_line() {
	sed -n '/^failures:/,$p' "$T/out" | grep -F "$1"
}

# ge A B: true when the decimal number A >= B.
ge() {
	awk -v a="$1" -v b="$2" 'BEGIN { exit !(a + 0 >= b + 0) }'
}

# last_create_state EMAIL: the journal state of EMAIL's last create.
last_create_state() {
	sqlite3 "$DB" "SELECT state FROM journal WHERE email_key = '$1' AND action = 'create' ORDER BY id DESC LIMIT 1"
}

require_cmd sqlite3 sqlite3

# --- 429 with Retry-After: its wait is honoured ------------------------------
# Retry-After is 2, not 1: the agent's own backoff starts near one second,
# so only a wait of two tells Retry-After was read.  Times are the fake's
# arrival times; the 429 was answered after its arrival, so the retry must
# arrive at least 2 s after it whatever the machine's speed (0.05 s slack
# for float rounding and timer granularity).
cfg c429ra
fake_faults "[{\"path\":\"$CREATE\",\"status\":429,\"retry_after\":2}]"
run_agent -c "$CFG" sync
check_eq "429 with Retry-After: exit 0" "$RC" 0 || diag "$(tail -n 20 "$T/err")"
check_eq "429 with Retry-After: every user created once" "$(users)" "10 [1]"
e=$(req 'print(next((em(r) for r in C if r["status"] == 429), ""))')
check_eq "429 with Retry-After: that user's create was sent twice" "$(creates_for "$e")" 2
gap=$(req '
t429 = min(r["time"] for r in C if r["status"] == 429)
later = [r["time"] - t429 for r in C if em(r) == A[0] and r["time"] > t429]
print("%.3f" % min(later) if later else "none")' "$e")
check "429 with Retry-After: its retry came 2 s later or more (got: $gap)" ge "$gap" 1.95

# --- 429 without Retry-After: exponential backoff -------------------------
cfg c429
fake_faults "[{\"path\":\"$CREATE\",\"email\":\"user00002@example.com\",\"status\":429}]"
run_agent -c "$CFG" sync
check_eq "429 without Retry-After: exit 0" "$RC" 0 || diag "$(tail -n 20 "$T/err")"
check_eq "429 without Retry-After: every user created once" "$(users)" "10 [1]"
check_eq "429 without Retry-After: retried once" "$(creates_for user00002@example.com)" 2

# --- 500 twice ---------------------------------------------------------------
cfg c500
fake_faults "[{\"path\":\"$CREATE\",\"email\":\"user00003@example.com\",\"status\":500,\"count\":2}]"
run_agent -c "$CFG" sync
check_eq "500 twice: exit 0" "$RC" 0 || diag "$(tail -n 20 "$T/err")"
check_eq "500 twice: every user created once" "$(users)" "10 [1]"
check_eq "500 twice: three attempts for that user" "$(creates_for user00003@example.com)" 3

# --- connection dropped before the create happened -----------------------------
cfg cdropb
fake_faults "[{\"path\":\"$CREATE\",\"email\":\"user00004@example.com\",\"drop\":\"before\"}]"
run_agent -c "$CFG" sync
check_eq "dropped before processing: exit 0" "$RC" 0 || diag "$(tail -n 20 "$T/err")"
check_eq "dropped before processing: every user created once" "$(users)" "10 [1]"
check_eq "dropped before processing: retried" "$(creates_for user00004@example.com)" 2

# --- connection dropped after the create happened: the retry adopts ---------
cfg cdropa
fake_faults "[{\"path\":\"$CREATE\",\"email\":\"user00005@example.com\",\"drop\":\"after\"}]"
run_agent -c "$CFG" sync
check_eq "answer lost after the create: exit 0" "$RC" 0 || diag "$(tail -n 20 "$T/err")"
check_eq "answer lost: every user exists, created once" "$(users)" "10 [1]"
check_eq "answer lost: the create was sent again" "$(creates_for user00005@example.com)" 2
check_eq "answer lost: the retry met 'already exists'" \
    "$(req 'print([r["status"] for r in C if em(r) == A[0]])' user00005@example.com)" \
    "[None, 400]"
check_eq "answer lost: the journal settles the create as adopted" \
    "$(last_create_state user00005@example.com)" adopted
check_eq "answer lost: no create is left unsettled" \
    "$(sqlite3 "$DB" "SELECT count(*) FROM journal WHERE state = 'intended'")" 0

# --- an answer slower than [imocha] timeout ------------------------------------
# The fake creates the user at once and answers 3 s later; the agent gives
# up after 1 s and retries, which meets "already exists".
cfg cslow 5 1
fake_faults "[{\"path\":\"$CREATE\",\"email\":\"user00006@example.com\",\"delay_ms\":3000}]"
run_agent -c "$CFG" sync
check_eq "answer past the timeout: exit 0" "$RC" 0 || diag "$(tail -n 20 "$T/err")"
check_eq "answer past the timeout: every user exists once" "$(users)" "10 [1]"
check "answer past the timeout: retried" \
    test "$(creates_for user00006@example.com)" -ge 2
check_eq "answer past the timeout: recorded as adopted" \
    "$(last_create_state user00006@example.com)" adopted

# --- a 400: a per-user failure, retried later with a growing delay -----------
cfg c400
fake_faults "[{\"path\":\"$CREATE\",\"email\":\"user00007@example.com\",\"status\":400,\"body\":{\"errors\":[\"Email address is in invalid format\"]}}]"
run_agent -c "$CFG" sync
check_eq "a 400 on one user: exit 1" "$RC" 1
check_eq "a 400 on one user: the nine others created" "$(users)" "9 [1]"
check_eq "a 400 is not retried within the run" "$(creates_for user00007@example.com)" 1
check_contains "a 400: the run names the user" "$(cat "$T/err")" "user00007@example.com"
check_contains "a 400: with iMocha's message" "$(cat "$T/err")" "Email address is in invalid format"
run_agent -c "$CFG" sync
check_eq "right after a 400, sync: exit 0 (no call failed)" "$RC" 0
check_eq "right after a 400, sync does not retry it yet" \
    "$(creates_for user00007@example.com)" 1
run_agent -c "$CFG" status
line=$(failure_line user00007@example.com)
check_contains "status lists the user with the error" "$line" "Email address is in invalid format"
check_eq "status gives the next retry time" \
    "$(printf '%s\n' "$line" | grep -Eci 'next retry[^;)]*[0-9]{4}-[0-9]{2}-[0-9]{2}')" 1

# --- max_retries exhausted ---------------------------------------------------
cfg cexhaust 2
fake_faults "[{\"path\":\"$CREATE\",\"email\":\"user00008@example.com\",\"status\":500,\"count\":10}]"
run_agent -c "$CFG" sync
check_eq "500 past max_retries = 2: exit 1" "$RC" 1
check_eq "max_retries = 2: three attempts, no more" "$(creates_for user00008@example.com)" 3
check_eq "max_retries exhausted: the nine others created" "$(users)" "9 [1]"
run_agent -c "$CFG" status
check_contains "status lists the exhausted user as a failure" \
    "$(failure_line user00008@example.com)" "user00008@example.com"

# --- 401 in the middle of a run: stop, touch no more users --------------------
# The first two creates pass (a delay_ms 0 fault answers normally), the
# third gets the 401.  With max_in_flight = 2 one more create may already
# be on its way when the 401 comes back; none may start after it.
cfg c401 5 10 2
fake_faults "[{\"path\":\"$CREATE\",\"delay_ms\":0,\"count\":2},{\"path\":\"$CREATE\",\"status\":401}]"
run_agent -c "$CFG" sync
check_eq "401 mid-run: exit 4" "$RC" 4
after=$(req '
s = min((r["seq"] for r in C if r["status"] == 401), default=None)
print("no 401" if s is None else len([r for r in C if r["seq"] > s]))')
check "401 mid-run: at most the one create in flight came after it (got $after)" \
    test "$after" -le 1
check "401 mid-run: the run did not go through the users" \
    test "$(req 'print(len(C))')" -le 4
run_agent -c "$CFG" sync
check_eq "after a 401, the next run completes: exit 0" "$RC" 0
check_eq "after a 401, every user exactly once" "$(users)" "10 [1]"

# --- unreachable: stop after a few failures in a row, not user after user ------
cfg cunreach 5 10 4
run_agent -c "$CFG" sync
check_eq "unreachable: the first sync creates the ten" "$(users)" "10 [1]"
gen_users 20 Engineering 11 | slapd_add "$T/ldap" ||
    not_ok "unreachable: twenty more users load"
fake_faults "[{\"path\":\"$CREATE\",\"drop\":\"before\",\"count\":1000}]"
before=$(req 'print(len(C))')
run_agent -c "$CFG" sync
check_eq "unreachable iMocha: exit 4" "$RC" 4
attempts=$(($(req 'print(len(C))') - before))
# Five failures in a row stop it; four may be in flight at once, and a few
# retries may overlap: well under one attempt per pending user.
check "unreachable: stopped after a few attempts, not one per user (got $attempts)" \
    test "$attempts" -lt 12
check_contains "unreachable: says so" "$(cat "$T/err")" "unreachable"
run_agent -c "$CFG" status
check_contains "unreachable: status still knows the ten, nothing half-applied" \
    "$(cat "$T/out")" "iMocha users: 10 active, 0 inactive"
# No way to clear only the faults: reset, then put the ten back.
fake_reset
fake_post /_fake/users "$(awk 'BEGIN {
	printf "{\"users\":["
	for (i = 1; i <= 10; i++)
		printf "%s{\"email\":\"user%05d@example.com\",\"businessunitId\":1}", (i > 1 ? "," : ""), i
	print "]}" }')" >/dev/null
run_agent -c "$CFG" sync
check_eq "iMocha back: exit 0" "$RC" 0 || diag "$(tail -n 20 "$T/err")"
check_eq "iMocha back: the twenty are created once each" \
    "$(req 'print(len({em(r) for r in C if r["status"] == 200}), len([r for r in C if r["status"] == 200]))')" \
    "20 20"
check_eq "iMocha back: the ten are not created again" \
    "$(req 'print(len([r for r in C if int(em(r)[4:9] or 0) <= 10]))')" 0

t_done
