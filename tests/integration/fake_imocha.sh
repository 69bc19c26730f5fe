#!/bin/sh
# tests/integration/fake_imocha.sh: self-test of tests/lib/fake_imocha.py,
# the fake iMocha the other integration tests trust.  If this fails, their
# verdicts mean nothing.  Prints "ok - NAME" / "not ok - NAME" / "skip - NAME"
# per case; exits 0 only if every case passed.
set -u
top=${L2I_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
PY=/usr/bin/python3
FAKE=$top/tests/lib/fake_imocha.py
KEY=selftest-key-9f2c
BU1=164373
BU2=170867
failed=0
pids=""
tmp=$(mktemp -d) || exit 1

cleanup() {
	for p in $pids; do kill -TERM "$p" 2>/dev/null; done
	for p in $pids; do wait "$p" 2>/dev/null; done
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM

ok() { echo "ok - $1"; }
notok() { echo "not ok - $1${2:+: $2}"; failed=1; }

# One HTTP exchange: http BASE METHOD PATH BODY KEY [CAFILE].  Empty BODY or
# KEY means none is sent.  Leaves $tmp/status (code, or ERR when the
# connection failed or closed without an answer), $tmp/headers, $tmp/body.
HTTP_PY='
import ssl, sys, urllib.error, urllib.request
base, method, path, body, key, out, cafile = sys.argv[1:8]
req = urllib.request.Request(base + path, method=method,
                             data=body.encode() if body else None)
if body:
    req.add_header("Content-Type", "application/json")
if key:
    req.add_header("X-API-KEY", key)
ctx = ssl.create_default_context(cafile=cafile) if cafile else None
try:
    r = urllib.request.urlopen(req, timeout=10, context=ctx)
    status, hdrs, data = r.status, r.headers, r.read()
except urllib.error.HTTPError as e:
    status, hdrs, data = e.code, e.headers, e.read()
except Exception as e:
    status, hdrs, data = "ERR", {}, repr(e).encode()
open(out + "/status", "w").write(str(status))
open(out + "/headers", "w").write(
    "".join("%s: %s\n" % (k.lower(), v) for k, v in hdrs.items()))
open(out + "/body", "wb").write(data)
'
http() {
	$PY -c "$HTTP_PY" "$1" "$2" "$3" "$4" "$5" "$tmp" "${6:-}"
}

# expect NAME STATUS BODY: check the last exchange, exactly.
expect() {
	got_s=$(cat "$tmp/status")
	got_b=$(cat "$tmp/body")
	if [ "$got_s" = "$2" ] && [ "$got_b" = "$3" ]; then
		ok "$1"
	else
		notok "$1" "got $got_s $got_b"
	fi
}

# expect_in NAME TEXT: the last body contains TEXT.
expect_in() {
	if grep -qF -- "$2" "$tmp/body"; then
		ok "$1"
	else
		notok "$1" "$2 not in $(cat "$tmp/body")"
	fi
}

# start_fake DIR ARGS...: sets fake_pid and fake_base; returns 1 if the
# port file does not appear within 10 s.
start_fake() {
	d=$tmp/$1
	shift
	mkdir -p "$d"
	$PY "$FAKE" --port-file "$d/port" --api-key "$KEY" "$@" \
	    2>"$d/stderr" &
	fake_pid=$!
	pids="$pids $fake_pid"
	n=0
	while [ ! -s "$d/port" ]; do
		n=$((n + 1))
		[ "$n" -gt 100 ] && return 1
		sleep 0.1
	done
	fake_base=http://127.0.0.1:$(cat "$d/port")
}

fault() { http "$B" POST /_fake/faults "{\"faults\":[$1]}" ""; }
create_body() { echo "{\"email\":\"$1\",\"fullName\":\"$2\"${3:+,\"businessunitId\":$3}}"; }

# ---- main instance ----------------------------------------------------
if start_fake main --bu "$BU1:Default BU 1" --bu "$BU2:Sales EMEA" \
    --log "$tmp/main/log"; then
	ok "fake starts and writes its port file"
else
	notok "fake starts and writes its port file" "$(cat "$tmp/main/stderr")"
	exit 1
fi
B=$fake_base
main_pid=$fake_pid
BUS=/v3/accounts/business-units
CREATE=/v3/accounts/user/create
UPDATE=/v3/accounts/user/update
STATUS=/v3/accounts/user/status
E401='{"statusCode":401,"message":"Access denied due to invalid subscription key. Make sure to provide a valid key for an active subscription."}'

http "$B" GET $BUS "" ""
expect "401 without API key" 401 "$E401"
http "$B" GET $BUS "" "wrong-key"
expect "401 with wrong API key" 401 "$E401"

http "$B" GET $BUS "" "$KEY"
expect "business-unit list shape" 200 \
    '{"businessUnits":[{"businessUnitId":164373,"businessUnitName":"Default BU 1","createdOn":"2025-05-15T06:06:18.763"},{"businessUnitId":170867,"businessUnitName":"Sales EMEA","createdOn":"2025-05-15T06:06:18.763"}],"count":2}'
if grep -q '^content-type: application/json; charset=utf-8$' "$tmp/headers" &&
    grep -q '^content-length: ' "$tmp/headers"; then
	ok "Content-Type and Content-Length headers"
else
	notok "Content-Type and Content-Length headers" "$(cat "$tmp/headers")"
fi

http "$B" GET /v3/accounts/nope "" "$KEY"
expect "unknown path gives 404" 404 '{"statusCode":404,"message":"Resource not found"}'
http "$B" GET $CREATE "" "$KEY"
expect "wrong method gives 404" 404 '{"statusCode":404,"message":"Resource not found"}'

http "$B" POST $CREATE "$(create_body Ann.Lee@example.com "Ann Lee" $BU2)" "$KEY"
expect "create echoes the body" 200 \
    '{"email":"Ann.Lee@example.com","fullName":"Ann Lee","businessunitId":170867}'
http "$B" POST $CREATE "$(create_body ann.LEE@Example.com "Ann Lee")" "$KEY"
expect "duplicate create (other case) is 'already exists'" 400 \
    '{"errors":["The user is already exists"]}'
http "$B" GET /_fake/users "" ""
expect "duplicate create: createCount 1, createAttempts 2 ('already exists' counted)" 200 \
    '{"users":[{"email":"Ann.Lee@example.com","fullName":"Ann Lee","businessunitId":170867,"status":"Active","createCount":1,"createAttempts":2}]}'

http "$B" POST $CREATE "$(create_body not-an-email "X")" "$KEY"
expect "create: invalid e-mail format" 400 '{"errors":["Email address is in invalid format"]}'
http "$B" POST $CREATE '{"fullName":"X"}' "$KEY"
expect "create: missing e-mail" 400 '{"errors":["A Valid Email address is required"]}'
http "$B" POST $CREATE '{"email":' "$KEY"
expect "create: malformed JSON" 400 '{"errors":["A non-empty request body is required."]}'
http "$B" POST $CREATE "$(create_body cy@example.com "Cy" 999)" "$KEY"
expect "create: invalid business unit" 400 \
    '{"errors":["The provided BusinessUnitId is invalid or not associated with your account."]}'

http "$B" POST $UPDATE '{"Email":"ann.lee@example.com","BusinessunitId":164373}' "$KEY"
expect "update with PascalCase keys" 200 '{"email":"ann.lee@example.com","businessunitId":164373}'
http "$B" GET /_fake/requests "" ""
expect_in "request log keeps the key spellings" \
    '"body":{"Email":"ann.lee@example.com","BusinessunitId":164373}'
http "$B" POST $UPDATE '{"Email":"ghost@example.com","BusinessunitId":164373}' "$KEY"
expect "update of an unknown user" 400 '{"errors":["User does not exist"]}'
http "$B" POST $UPDATE '{"Email":"ann.lee@example.com","BusinessunitId":1}' "$KEY"
expect "update to an invalid business unit" 400 \
    '{"errors":["The provided BusinessUnitId is invalid or not associated with your account."]}'

http "$B" POST $STATUS '{"email":"ann.lee@example.com","status":"inactive"}' "$KEY"
expect "status: value other than Active/Inactive" 400 \
    '{"errors":["Status must be either '"'Active' or 'Inactive'"'"]}'
http "$B" POST $STATUS '{"email":"ann.lee@example.com","status":"Inactive"}' "$KEY"
expect "status: deactivate" 200 \
    '{"email":"Ann.Lee@example.com","fullName":"Ann Lee","businessunitId":164373,"status":"Inactive"}'

fault '{"path":"/v3/accounts/business-units","status":500}'
http "$B" GET $BUS "" "$KEY"
expect "500 fault hits" 500 '{"statusCode":500,"message":"Internal Server Error"}'
http "$B" GET $BUS "" "$KEY"
if [ "$(cat "$tmp/status")" = 200 ]; then ok "500 fault is consumed once"; else
	notok "500 fault is consumed once" "got $(cat "$tmp/status")"; fi

fault '{"path":"*","status":429,"retry_after":7}'
http "$B" GET $BUS "" "$KEY"
if [ "$(cat "$tmp/status")" = 429 ] && grep -q '^retry-after: 7$' "$tmp/headers"; then
	expect "429 fault with Retry-After" 429 \
	    '{"statusCode":429,"message":"Rate limit is exceeded. Try again in 7 seconds."}'
else
	notok "429 fault with Retry-After" "$(cat "$tmp/status") $(cat "$tmp/headers")"
fi

fault '{"path":"/v3/accounts/user/create","email":"BOB@example.com","drop":"after"}'
http "$B" POST $CREATE "$(create_body carl@example.com "Carl")" "$KEY"
expect "e-mail filter: fault skips another user" 200 \
    '{"email":"carl@example.com","fullName":"Carl"}'
http "$B" POST $CREATE "$(create_body bob@example.com "Bob")" "$KEY"
got=$(cat "$tmp/status")
http "$B" GET /_fake/users "" ""
if [ "$got" = ERR ] && grep -qF '{"email":"bob@example.com","fullName":"Bob","businessunitId":164373,"status":"Active","createCount":1,"createAttempts":1}' "$tmp/body"; then
	ok "drop-after closes without answer but creates the user"
else
	notok "drop-after closes without answer but creates the user" "$got $(cat "$tmp/body")"
fi
http "$B" POST $CREATE "$(create_body bob@example.com "Bob")" "$KEY"
expect "retry after drop-after is 'already exists'" 400 '{"errors":["The user is already exists"]}'
http "$B" GET /_fake/users "" ""
expect_in "the retry is a second attempt, not a second create" \
    '{"email":"bob@example.com","fullName":"Bob","businessunitId":164373,"status":"Active","createCount":1,"createAttempts":2}'

fault '{"path":"/v3/accounts/user/create","drop":"before"}'
http "$B" POST $CREATE "$(create_body dora@example.com "Dora")" "$KEY"
got=$(cat "$tmp/status")
http "$B" GET /_fake/users "" ""
if [ "$got" = ERR ] && ! grep -q dora "$tmp/body"; then
	ok "drop-before closes and creates nothing"
else
	notok "drop-before closes and creates nothing" "$got $(cat "$tmp/body")"
fi

fault '{"raw_body":"<html>oops","raw_status":502}'
http "$B" GET $BUS "" "$KEY"
expect "raw_body fault" 502 '<html>oops'

http "$B" POST /_fake/users '{"users":[{"email":"Old@Example.com","fullName":"Old Timer","businessunitId":170867,"status":"Inactive"}]}' ""
http "$B" POST $CREATE "$(create_body old@example.com "Old Timer")" "$KEY"
expect "preloaded user: create is 'already exists'" 400 '{"errors":["The user is already exists"]}'
http "$B" GET /_fake/users "" ""
expect_in "preloaded user keeps createCount 0; its 'already exists' is 1 attempt" \
    '{"email":"Old@Example.com","fullName":"Old Timer","businessunitId":170867,"status":"Inactive","createCount":0,"createAttempts":1}'
http "$B" POST /_fake/users '{"users":[{"email":"old@example.com","fullName":"Old Timer"}]}' ""
http "$B" GET /_fake/users "" ""
expect_in "preloading an e-mail again keeps its createAttempts" \
    '{"email":"old@example.com","fullName":"Old Timer","businessunitId":164373,"status":"Active","createCount":0,"createAttempts":1}'

# Attempts that made no user: no key (401), invalid values (400), a drop
# before processing.  Bodies without a usable e-mail are no attempt.
http "$B" POST $CREATE "$(create_body nokey@example.com "No Key")" ""
expect "create without API key is 401" 401 "$E401"
http "$B" GET /_fake/create_attempts "" ""
expect "/_fake/create_attempts counts every create that arrived, by e-mail" 200 \
    '{"createAttempts":{"ann.lee@example.com":2,"bob@example.com":2,"carl@example.com":1,"cy@example.com":1,"dora@example.com":1,"nokey@example.com":1,"not-an-email":1,"old@example.com":1}}'

# A "hold" fault parks a create unanswered until /_fake/release: it is
# already counted as an attempt (on arrival) while no answer has gone out.
fault '{"path":"/v3/accounts/user/create","email":"held@example.com","hold":true}'
mkdir -p "$tmp/bg"
$PY -c "$HTTP_PY" "$B" POST $CREATE "$(create_body held@example.com "Held")" "$KEY" "$tmp/bg" "" &
bg=$!
n=0
while :; do
	http "$B" GET /_fake/held "" ""
	[ "$(cat "$tmp/body")" = '{"held":1}' ] && break
	n=$((n + 1))
	[ "$n" -gt 100 ] && break
	sleep 0.1
done
expect "GET /_fake/held counts the parked request" 200 '{"held":1}'
held_attempts=$($PY -c '
import json, sys, urllib.request
base = sys.argv[1]
a = json.load(urllib.request.urlopen(base + "/_fake/create_attempts"))["createAttempts"]
r = json.load(urllib.request.urlopen(base + "/_fake/requests"))["requests"][-1]
u = json.load(urllib.request.urlopen(base + "/_fake/users"))["users"]
print(a.get("held@example.com", 0), r["body"]["email"], r["status"],
      any(x["email"] == "held@example.com" for x in u))' "$B")
if [ "$held_attempts" = "1 held@example.com None False" ]; then
	ok "a held create is counted on arrival, unanswered and not yet made"
else
	notok "a held create is counted on arrival, unanswered and not yet made" "$held_attempts"
fi
http "$B" POST /_fake/release "" ""
expect "release lets the held request go" 200 '{"released":1}'
wait "$bg"
if [ "$(cat "$tmp/bg/status")" = 200 ] && grep -qF '"email":"held@example.com"' "$tmp/bg/body"; then
	ok "the released create is processed and answered normally"
else
	notok "the released create is processed and answered normally" \
	    "$(cat "$tmp/bg/status") $(cat "$tmp/bg/body")"
fi
http "$B" GET /_fake/requests "" ""
expect_in "the log names the hold fault" '"status":200,"fault":"hold"'
http "$B" POST /_fake/release "" ""
expect "release with nothing held" 200 '{"released":0}'
fault '{"path":"/v3/accounts/business-units","hold":true,"hold_ms":300}'
t0=$($PY -c 'import time; print(time.time())')
http "$B" GET $BUS "" "$KEY"
if [ "$(cat "$tmp/status")" = 200 ] && $PY -c \
    'import sys, time; sys.exit(time.time() - float(sys.argv[1]) < 0.3)' "$t0"; then
	ok "a hold ends by itself after hold_ms"
else
	notok "a hold ends by itself after hold_ms" "$(cat "$tmp/status")"
fi
fault '{"hold":1}'
expect "hold must be true" 400 '{"error":"hold must be true"}'

fault '{"delay_ms":400}'
t0=$($PY -c 'import time; print(time.time())')
http "$B" GET $BUS "" "$KEY"
if [ "$(cat "$tmp/status")" = 200 ] && $PY -c \
    'import sys, time; sys.exit(time.time() - float(sys.argv[1]) < 0.4)' "$t0"; then
	ok "delay_ms fault delays the answer"
else
	notok "delay_ms fault delays the answer" "$(cat "$tmp/status")"
fi

http "$B" GET /_fake/requests "" ""
if grep -qF "$KEY" "$tmp/body" "$tmp/main/log"; then
	notok "API key never in request log or --log"
elif [ -s "$tmp/main/log" ]; then
	ok "API key never in request log or --log"
else
	notok "API key never in request log or --log" "--log file empty"
fi

# A request still held at a reset is dropped: the new state never sees it.
fault '{"path":"/v3/accounts/user/create","hold":true}'
$PY -c "$HTTP_PY" "$B" POST $CREATE "$(create_body late@example.com "Late")" "$KEY" "$tmp/bg" "" &
bg=$!
n=0
while http "$B" GET /_fake/held "" "" && [ "$(cat "$tmp/body")" != '{"held":1}' ] &&
    [ "$n" -lt 100 ]; do
	n=$((n + 1))
	sleep 0.1
done
http "$B" POST /_fake/reset "" ""
wait "$bg"
got=$(cat "$tmp/bg/status")
http "$B" GET /_fake/users "" ""
if [ "$got" = ERR ] && [ "$(cat "$tmp/body")" = '{"users":[]}' ]; then
	ok "reset drops a held request unprocessed and unanswered"
else
	notok "reset drops a held request unprocessed and unanswered" "$got $(cat "$tmp/body")"
fi
http "$B" GET $BUS "" "$KEY"
http "$B" GET $BUS "" "$KEY"
http "$B" GET $BUS "" ""
http "$B" GET /_fake/stats "" ""
if grep -q '"total":3' "$tmp/body" &&
    grep -qF '"status_counts":{"200":2,"401":1}' "$tmp/body" &&
    grep -Eq '"max_per_second":[1-3],' "$tmp/body"; then
	ok "/_fake/stats counts /v3 requests since reset"
else
	notok "/_fake/stats counts /v3 requests since reset" "$(cat "$tmp/body")"
fi
http "$B" GET /_fake/users "" ""
expect "reset clears users" 200 '{"users":[]}'
http "$B" GET /_fake/create_attempts "" ""
expect "reset clears create attempts" 200 '{"createAttempts":{}}'

kill -TERM "$main_pid"
wait "$main_pid"
rc=$?
pids=$(echo "$pids" | sed "s/ $main_pid//")
if [ "$rc" -eq 0 ]; then ok "SIGTERM exits 0"; else notok "SIGTERM exits 0" "rc $rc"; fi

# ---- instance with latency ----------------------------------------------
# --latency-ms holds every /v3 request before it is handled: a create is
# counted as an attempt (and logged) on arrival, before that wait ends.
if start_fake lat --latency-ms 2000; then
	out=$($PY -c '
import json, sys, threading, time, urllib.request
base, key = sys.argv[1], sys.argv[2]
def get(p):
    return json.load(urllib.request.urlopen(base + p, timeout=10))
def create():
    req = urllib.request.Request(base + "/v3/accounts/user/create",
        data=b"{\"email\":\"Slow@Example.com\",\"fullName\":\"Slow\"}",
        method="POST", headers={"X-API-KEY": key,
                                "Content-Type": "application/json"})
    urllib.request.urlopen(req, timeout=10).read()
t0 = time.monotonic()
th = threading.Thread(target=create)
th.start()
while get("/_fake/create_attempts")["createAttempts"].get("slow@example.com", 0) < 1:
    if time.monotonic() - t0 > 10:
        break
    time.sleep(0.02)
seen = time.monotonic() - t0
status = get("/_fake/requests")["requests"][-1]["status"]
users = len(get("/_fake/users")["users"])
th.join()
after = get("/_fake/users")["users"]
print("good" if seen < 1.5 and status is None and users == 0 and
      [(u["createCount"], u["createAttempts"]) for u in after] == [(1, 1)]
      else "seen after %.2fs, status %s, users %d, then %r"
      % (seen, status, users, after))
' "$fake_base" "$KEY")
	if [ "$out" = good ]; then ok "latency: a create is counted on arrival, before its answer"
	else notok "latency: a create is counted on arrival, before its answer" "$out"; fi
else
	notok "latency: a create is counted on arrival, before its answer" "fake did not start"
fi

# ---- rate-limited instance --------------------------------------------
if start_fake rl --rate-limit 3; then
	out=$($PY -c '
import http.client, sys, time
host, port = sys.argv[1].rsplit(":", 1)
c = http.client.HTTPConnection(host.split("/")[-1], int(port), timeout=10)
got = []
for i in range(6):
    c.request("GET", "/v3/accounts/business-units", headers={"X-API-KEY": sys.argv[2]})
    r = c.getresponse()
    got.append((r.status, r.getheader("Retry-After"), r.read().decode()))
time.sleep(1.1)
c.request("GET", "/v3/accounts/business-units", headers={"X-API-KEY": sys.argv[2]})
r = c.getresponse(); r.read()
body = "{\"statusCode\":429,\"message\":\"Rate limit is exceeded. Try again in 1 seconds.\"}"
want = [200] * 3 + [429] * 3
good = [s for s, _, _ in got] == want and all(
    ra == "1" and b == body for s, ra, b in got if s == 429) and r.status == 200
print("good" if good else repr(got) + " then " + str(r.status))
' "$fake_base" "$KEY")
	if [ "$out" = good ]; then ok "rate limit gives 429 + Retry-After, then recovers"
	else notok "rate limit gives 429 + Retry-After, then recovers" "$out"; fi
else
	notok "rate limit gives 429 + Retry-After, then recovers" "fake did not start"
fi

# ---- HTTPS instance ---------------------------------------------------
if ! command -v openssl >/dev/null 2>&1; then
	echo "skip - HTTPS with a self-signed certificate: openssl not installed"
elif ! openssl req -x509 -newkey rsa:2048 -nodes -days 1 \
    -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 \
    -keyout "$tmp/key.pem" -out "$tmp/cert.pem" >/dev/null 2>&1; then
	notok "HTTPS with a self-signed certificate" "openssl req failed"
elif ! start_fake tls --tls-cert "$tmp/cert.pem" --tls-key "$tmp/key.pem"; then
	notok "HTTPS with a self-signed certificate" "$(cat "$tmp/tls/stderr")"
else
	tb=$(echo "$fake_base" | sed 's/^http:/https:/')
	http "$tb" GET $BUS "" "$KEY" "$tmp/cert.pem"
	expect "HTTPS with a self-signed certificate" 200 \
	    '{"businessUnits":[{"businessUnitId":164373,"businessUnitName":"Default BU 1","createdOn":"2025-05-15T06:06:18.763"}],"count":1}'
fi

exit $failed
