#!/usr/bin/python3
"""fake_imocha.py: a fake iMocha v3 user-management API for integration tests.

Behaves as /work/shared/IMOCHA_API.md says (bodies byte for byte, compact
JSON), and lets a test inspect what the agent sent and inject faults.
Python 3 standard library only; run it with Debian's /usr/bin/python3.

COMMAND LINE
  /usr/bin/python3 tests/lib/fake_imocha.py --port-file FILE --api-key KEY
      [--bu ID:NAME]... [--tls-cert PEM --tls-key PEM] [--latency-ms N]
      [--rate-limit N] [--log FILE]

  --port-file FILE  Binds 127.0.0.1 on an ephemeral port; once listening,
                    writes the port number (decimal, newline) to FILE
                    atomically (FILE.tmp then rename). Wait for FILE to exist.
  --api-key KEY     The only X-API-KEY accepted on /v3 (header name is
                    case-insensitive). Never written to any log.
  --bu ID:NAME      A business unit the account has; repeat for several, in
                    listing order. Default: 164373:Default BU 1.
  --tls-cert/--tls-key PEM  Serve HTTPS (TLS 1.2 minimum) instead of HTTP.
  --latency-ms N    Sleep N ms before handling (and so before answering)
                    every /v3 request. Default 0.
  --rate-limit N    At most N /v3 requests admitted in any 1 s window.
                    Sliding window over admitted requests: a request is
                    admitted iff fewer than N requests were admitted in the
                    preceding 1.0 s; a refused one does not count toward the
                    window. Refused requests get 429, "Retry-After: 1",
                    {"statusCode":429,"message":"Rate limit is exceeded. Try
                    again in 1 seconds."} and fault "rate_limit" in the log.
  --log FILE        Append one line per request (every path):
                    "TIME METHOD PATH STATUS|- fault=NAME|- key=yes|no".
                    Without it the fake prints nothing but its own bugs.
  SIGTERM / SIGINT: stop listening and exit 0.

/v3 API (every answer: Content-Type: application/json; charset=utf-8,
Content-Length, HTTP/1.1 keep-alive). Order of checks for a /v3 request:
latency, API key (401), rate limit (429), fault queue, endpoint.
  GET  /v3/accounts/business-units
       200 {"businessUnits":[{"businessUnitId":ID,"businessUnitName":NAME,
            "createdOn":"2025-05-15T06:06:18.763"}...],"count":N}
  POST /v3/accounts/user/create {"email","fullName","businessunitId"?}
       400 {"errors":["A non-empty request body is required."]}  bad JSON,
           empty body or not an object
       400 {"errors":["A Valid Email address is required"]}  missing/empty
       400 {"errors":["Email address is in invalid format"]}  not x@y.z
       400 {"errors":["The provided BusinessUnitId is invalid or not
           associated with your account."]}  given (non-null), not a BU id
       400 {"errors":["The user is already exists"]}  e-mail known
           (case-insensitive); createCount unchanged
       Every create that arrives is counted as an ATTEMPT of its e-mail
       (see createAttempts below), whatever its answer.
       200 echo of the request body (re-serialised compactly); the user is
           stored with the e-mail as sent, BU defaulting to the first BU,
           status "Active", createCount + 1.
  POST /v3/accounts/user/update {"Email","BusinessunitId"}
       non-empty-body / valid-email errors as above, then
       400 {"errors":["User does not exist"]}  unknown e-mail (inferred)
       400 BU error  BusinessunitId missing, null or not a BU id
       200 {"email":<as sent>,"businessunitId":ID}
  POST /v3/accounts/user/status {"email","status"}
       non-empty-body error, then
       400 {"errors":["Status must be either 'Active' or 'Inactive'"]}
           status not exactly "Active" or "Inactive"
       400 valid-email error, then 400 "User does not exist"
       200 {"email","fullName","businessunitId","status"} (stored user)
  Anything else under /v3 (unknown path or wrong method): 404
       {"statusCode":404,"message":"Resource not found"} (after the key
       check). Paths outside /v3 and /_fake: the same 404, no key needed.
  Without the right key: 401 {"statusCode":401,"message":"Access denied due
       to invalid subscription key. Make sure to provide a valid key for an
       active subscription."}
  Body keys are matched case-insensitively everywhere (exact spelling
  preferred), as a lenient .NET server would; the request log keeps the
  body exactly as sent, so tests can check the key spellings.

CONTROL API under /_fake/ (no key; never delayed, rate-limited or faulted;
not recorded in the request log). Bad control input: 400 {"error":"why"}.
  GET  /_fake/users     {"users":[{"email","fullName","businessunitId",
                        "status","createCount","createAttempts"}...]} by
                        lower-cased e-mail.
                        createCount = successful creates of that e-mail.
                        createAttempts = create requests for that e-mail
                        (as /_fake/create_attempts counts them): "already
                        exists" answers, failures and retries included.
  GET  /_fake/create_attempts
                        {"createAttempts":{"<lower-cased e-mail>":n,...}}
                        for every e-mail a create was attempted for, users
                        or not (a refused create makes no user).  A create
                        attempt is a POST /v3/accounts/user/create whose
                        body is a JSON object with a non-empty string
                        e-mail ("email" key, any case), keyed on that
                        e-mail lower-cased.  It is counted ON ARRIVAL, when
                        the request enters the request log: before the
                        latency, key, rate-limit and fault checks, so a
                        create still held (--latency-ms, a "hold" or
                        "delay_ms" fault) is already counted, and one
                        answered 401, 429, 400 ("already exists" included),
                        a fault's status, or dropped counts too.
  POST /_fake/users     {"users":[{"email","fullName"?,"businessunitId"?,
                        "status"?}]} preloads users already in iMocha
                        (createCount 0; defaults "", first BU, "Active";
                        a known e-mail is overwritten, its createCount kept).
                        A preload is not an attempt: createAttempts is
                        whatever creates arrived for the e-mail (usually 0).
  GET  /_fake/requests  {"requests":[{"seq","time","method","path",
                        "headers_api_key_present","body","status","fault"}]}
                        /v3 requests in arrival order. seq from 1; time is
                        float unix seconds at arrival; path without query;
                        body = parsed JSON, else the raw text, null if empty;
                        status = answered code, null if dropped (or still in
                        progress); fault = null, "rate_limit" or the fault
                        kind that hit it: "status", "drop_before",
                        "drop_after", "delay_ms", "hold", "raw_body",
                        "huge_body_bytes", "endless_body".
  POST /_fake/faults    {"faults":[FAULT...]} appends one-shot faults.
                        Answers {"queued":N,"pending":M}.
  GET  /_fake/faults    {"faults":[FAULT with "count" = hits left...]}
  GET  /_fake/held      {"held":n}: requests parked by a "hold" fault now.
  POST /_fake/release   lets every request parked by a "hold" fault go on;
                        answers {"released":n}.  Holds made later wait for
                        the next release.
  POST /_fake/reset     clears users, create attempts, requests (hence
                        stats), faults and the rate-limit window, and drops
                        held requests (connection closed, nothing processed
                        or answered); the BU list stays.
  GET  /_fake/stats     {"per_second":{"<unix second>":n},"max_per_second":n,
                        "total":n,"status_counts":{"200":n,...},"dropped":n}
                        over every /v3 request in the log (401s, 429s and
                        retries included; status_counts holds answered ones).

FAULT = {"path": exact /v3 path or "*" (default "*"),
         "email": optional, only requests whose body e-mail ("email" key,
                  any case) equals it case-insensitively,
         "count": hits before it is used up (default 1),
         and exactly ONE action:
  "status": CODE [, "body": any JSON] [, "retry_after": seconds]
        answer CODE without processing. Default body: 400
        {"errors":["Fault injected"]}, 401 the gateway 401 above, 429
        {"statusCode":429,"message":"Rate limit is exceeded. Try again in
        N seconds."} (N = retry_after or 1), others {"statusCode":CODE,
        "message":REASON}. retry_after sets the Retry-After header.
  "drop": "before"  close the connection without processing or answering.
  "drop": "after"   process the request (really create etc.), then close
                    without answering.
  "delay_ms": N     process now, send the normal answer N ms later.
  "hold": true [, "hold_ms": N (default 60000)]
                    park the request, unprocessed and unanswered, until
                    POST /_fake/release (or N ms pass), then process and
                    answer it normally.  For tests that look at the agent
                    while a request of its is known to be unanswered.
  "raw_body": TEXT [, "raw_status": CODE (default 200)]
                    answer exactly TEXT, without processing. A JSON
                    escape \udc80-\udcff in TEXT sends that one raw
                    byte 0x80-0xff (invalid UTF-8 on purpose).
  "huge_body_bytes": N  answer 200 with N bytes of valid JSON padding
                    ({"padding":"xxx..."}), without processing.
  "endless_body": true [, "chunk_bytes": 64] [, "interval_ms": 100]
                    answer 200 with Content-Length 2**40 and trickle
                    chunk_bytes every interval_ms until the client goes
                    away or 60 s pass, then close. No processing.
        }
The first queued fault matching a request applies and loses one hit; faults
are only consulted for requests that passed the key and rate-limit checks.
"""

import argparse
import collections
import hmac
import json
import os
import re
import signal
import ssl
import sys
import threading
import time
import traceback
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

CONTENT_TYPE = "application/json; charset=utf-8"
CREATED_ON = "2025-05-15T06:06:18.763"
MSG_401 = ("Access denied due to invalid subscription key. Make sure to "
           "provide a valid key for an active subscription.")
ERR_BODY = "A non-empty request body is required."
ERR_EMAIL_REQUIRED = "A Valid Email address is required"
ERR_EMAIL_FORMAT = "Email address is in invalid format"
ERR_BU = ("The provided BusinessUnitId is invalid or not associated with "
          "your account.")
ERR_EXISTS = "The user is already exists"
ERR_NO_USER = "User does not exist"
ERR_STATUS = "Status must be either 'Active' or 'Inactive'"
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
ACTIONS = ("status", "drop", "delay_ms", "hold", "raw_body",
           "huge_body_bytes", "endless_body")
FAULT_KEYS = set(ACTIONS) | {"path", "email", "count", "body", "retry_after",
                             "raw_status", "chunk_bytes", "interval_ms",
                             "hold_ms"}
CREATE_PATH = "/v3/accounts/user/create"
HOLD_MS = 60000
ENDLESS_LENGTH = 1 << 40
ENDLESS_SECONDS = 60.0


def dumps(obj):
    return json.dumps(obj, separators=(",", ":"),
                      ensure_ascii=False).encode("utf-8")


def errors(msg):
    return {"errors": [msg]}


def gateway(code, msg):
    return {"statusCode": code, "message": msg}


def field(body, name):
    """Value of key NAME, exact spelling first, else any case; None if absent."""
    if name in body:
        return body[name]
    low = name.lower()
    for k, v in body.items():
        if k.lower() == low:
            return v
    return None


def is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def reject_constant(name):
    # .NET refuses NaN/Infinity; so does the fake.
    raise ValueError(name)


def parse_body(raw):
    """Return (parsed or None, form for the log)."""
    if not raw:
        return None, None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return None, raw.decode("utf-8", errors="replace")
    try:
        parsed = json.loads(text, parse_constant=reject_constant)
    except ValueError:
        return None, text
    # The log gets its own copy: the endpoint may echo but never mutates.
    return parsed, json.loads(text)


class State:
    """Everything the fake remembers; one lock guards it all."""

    def __init__(self, bus, rate_limit):
        self.lock = threading.Lock()
        # "hold" faults wait on this until the release generation moves;
        # reset_gen tells them a reset, not a release, woke them.
        self.released = threading.Condition(self.lock)
        self.release_gen = 0
        self.reset_gen = 0
        self.held = 0
        self.bus = bus
        self.rate_limit = rate_limit
        self.reset()

    def reset(self):
        self.users = {}
        self.attempts = collections.Counter()
        self.requests = []
        self.faults = []
        self.window = collections.deque()

    def bu_ids(self):
        return {b[0] for b in self.bus}

    def record(self, method, path, key_present, body, parsed):
        """Log a /v3 request on arrival; count it if it is a create attempt."""
        entry = {"seq": 0, "time": time.time(),
                 "method": method, "path": path,
                 "headers_api_key_present": key_present, "body": body,
                 "status": None, "fault": None}
        email = None
        if method == "POST" and path == CREATE_PATH and \
                isinstance(parsed, dict):
            email = field(parsed, "email")
            if not isinstance(email, str) or not email:
                email = None
        with self.lock:
            entry["seq"] = len(self.requests) + 1
            self.requests.append(entry)
            if email is not None:
                self.attempts[email.lower()] += 1
        return entry

    def hold(self, ms):
        """Wait for the next release (or MS ms): True, the caller goes on;
        False if a reset came first: the caller drops the request."""
        with self.released:
            gen, reset_gen = self.release_gen, self.reset_gen
            self.held += 1
            try:
                self.released.wait_for(lambda: self.release_gen != gen,
                                       timeout=ms / 1000.0)
            finally:
                self.held -= 1
            return self.reset_gen == reset_gen

    def release(self, by_reset=False):
        with self.released:
            n = self.held
            self.release_gen += 1
            if by_reset:
                self.reset_gen += 1
            self.released.notify_all()
        return {"released": n}

    def admit(self):
        if not self.rate_limit:
            return True
        now = time.monotonic()
        with self.lock:
            while self.window and self.window[0] <= now - 1.0:
                self.window.popleft()
            if len(self.window) >= self.rate_limit:
                return False
            self.window.append(now)
            return True

    def take_fault(self, path, email):
        with self.lock:
            for i, f in enumerate(self.faults):
                if f["path"] not in ("*", path):
                    continue
                if "email" in f and (not isinstance(email, str) or
                                     email.lower() != f["email"].lower()):
                    continue
                f["count"] -= 1
                if f["count"] <= 0:
                    del self.faults[i]
                return dict(f)
        return None

    def stats(self):
        per_second = collections.Counter()
        status_counts = collections.Counter()
        dropped = 0
        with self.lock:
            for r in self.requests:
                per_second[str(int(r["time"]))] += 1
                if r["status"] is not None:
                    status_counts[str(r["status"])] += 1
                elif r["fault"] in ("drop_before", "drop_after"):
                    dropped += 1
            total = len(self.requests)
        return {"per_second": dict(sorted(per_second.items())),
                "max_per_second": max(per_second.values(), default=0),
                "total": total, "status_counts": dict(sorted(
                    status_counts.items())), "dropped": dropped}

    # --- the /v3 endpoints: each returns (status, JSON object) ---

    def bu_list(self, body):
        units = [{"businessUnitId": i, "businessUnitName": n,
                  "createdOn": CREATED_ON} for i, n in self.bus]
        return 200, {"businessUnits": units, "count": len(units)}

    def create(self, body):
        if not isinstance(body, dict):
            return 400, errors(ERR_BODY)
        email = field(body, "email")
        if not isinstance(email, str) or not email.strip():
            return 400, errors(ERR_EMAIL_REQUIRED)
        if not EMAIL_RE.match(email):
            return 400, errors(ERR_EMAIL_FORMAT)
        bu = field(body, "businessunitId")
        if bu is not None and (not is_int(bu) or bu not in self.bu_ids()):
            return 400, errors(ERR_BU)
        name = field(body, "fullName")
        with self.lock:
            if email.lower() in self.users:
                return 400, errors(ERR_EXISTS)
            self.users[email.lower()] = {
                "email": email, "fullName": name if isinstance(name, str)
                else "", "businessunitId": bu if bu is not None
                else self.bus[0][0], "status": "Active", "createCount": 1}
        return 200, body

    def update(self, body):
        if not isinstance(body, dict):
            return 400, errors(ERR_BODY)
        email = field(body, "email")
        if not isinstance(email, str) or not email.strip():
            return 400, errors(ERR_EMAIL_REQUIRED)
        bu = field(body, "businessunitId")
        with self.lock:
            user = self.users.get(email.lower())
            if user is None:
                return 400, errors(ERR_NO_USER)
            if not is_int(bu) or bu not in self.bu_ids():
                return 400, errors(ERR_BU)
            user["businessunitId"] = bu
        return 200, {"email": email, "businessunitId": bu}

    def set_status(self, body):
        if not isinstance(body, dict):
            return 400, errors(ERR_BODY)
        status = field(body, "status")
        if status not in ("Active", "Inactive"):
            return 400, errors(ERR_STATUS)
        email = field(body, "email")
        if not isinstance(email, str) or not email.strip():
            return 400, errors(ERR_EMAIL_REQUIRED)
        with self.lock:
            user = self.users.get(email.lower())
            if user is None:
                return 400, errors(ERR_NO_USER)
            user["status"] = status
            return 200, {k: user[k] for k in ("email", "fullName",
                                              "businessunitId", "status")}

    # --- control helpers ---

    def list_users(self):
        with self.lock:
            users = [dict(self.users[k], createAttempts=self.attempts[k])
                     for k in sorted(self.users)]
        return {"users": users}

    def list_attempts(self):
        with self.lock:
            return {"createAttempts": dict(sorted(self.attempts.items()))}

    def preload(self, body):
        users = body.get("users") if isinstance(body, dict) else None
        if not isinstance(users, list):
            raise ValueError("expected {\"users\":[...]}")
        rows = []
        for u in users:
            if not isinstance(u, dict) or not isinstance(u.get("email"), str) \
                    or not u["email"]:
                raise ValueError("each user needs a non-empty \"email\"")
            status = u.get("status", "Active")
            if status not in ("Active", "Inactive"):
                raise ValueError("status must be Active or Inactive")
            bu = u.get("businessunitId", self.bus[0][0])
            if not is_int(bu):
                raise ValueError("businessunitId must be an integer")
            rows.append({"email": u["email"],
                         "fullName": str(u.get("fullName", "")),
                         "businessunitId": bu, "status": status})
        with self.lock:
            for r in rows:
                old = self.users.get(r["email"].lower())
                r["createCount"] = old["createCount"] if old else 0
                self.users[r["email"].lower()] = r
        return {"users": len(rows)}

    def add_faults(self, body):
        faults = body.get("faults") if isinstance(body, dict) else None
        if not isinstance(faults, list):
            raise ValueError("expected {\"faults\":[...]}")
        checked = [check_fault(f) for f in faults]
        with self.lock:
            self.faults.extend(checked)
            return {"queued": len(checked), "pending": len(self.faults)}

    def list_faults(self):
        with self.lock:
            return {"faults": [dict(f) for f in self.faults]}


def check_fault(f):
    """Validate one FAULT, fill defaults; ValueError says what is wrong."""
    if not isinstance(f, dict):
        raise ValueError("a fault must be an object")
    unknown = set(f) - FAULT_KEYS
    if unknown:
        raise ValueError("unknown fault keys: %s" % ", ".join(sorted(unknown)))
    acts = [a for a in ACTIONS if a in f]
    if len(acts) != 1:
        raise ValueError("a fault needs exactly one of: " + ", ".join(ACTIONS))
    f = dict(f)
    f.setdefault("path", "*")
    f.setdefault("count", 1)
    if not isinstance(f["path"], str) or not (
            f["path"] == "*" or f["path"].startswith("/v3/")):
        raise ValueError("path must be \"*\" or a /v3/ path")
    if "email" in f and not isinstance(f["email"], str):
        raise ValueError("email must be a string")
    ints = {"count": 1, "status": 100, "delay_ms": 0, "raw_status": 100,
            "huge_body_bytes": 0, "chunk_bytes": 1, "interval_ms": 0,
            "hold_ms": 0}
    for k, low in ints.items():
        if k in f and (not is_int(f[k]) or f[k] < low):
            raise ValueError("%s must be an integer >= %d" % (k, low))
    if "drop" in f and f["drop"] not in ("before", "after"):
        raise ValueError("drop must be \"before\" or \"after\"")
    if "raw_body" in f and not isinstance(f["raw_body"], str):
        raise ValueError("raw_body must be a string")
    if "endless_body" in f and f["endless_body"] is not True:
        raise ValueError("endless_body must be true")
    if "hold" in f and f["hold"] is not True:
        raise ValueError("hold must be true")
    if "hold_ms" in f and "hold" not in f:
        raise ValueError("hold_ms goes with hold")
    return f


def fault_kind(f):
    if "drop" in f:
        return "drop_" + f["drop"]
    return next(a for a in ACTIONS if a in f)


def default_fault_body(code, retry_after):
    if code == 400:
        return errors("Fault injected")
    if code == 401:
        return gateway(401, MSG_401)
    if code == 429:
        return gateway(429, "Rate limit is exceeded. Try again in %s seconds."
                       % (retry_after if retry_after is not None else 1))
    try:
        reason = HTTPStatus(code).phrase
    except ValueError:
        reason = "Error"
    return gateway(code, reason)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Idle keep-alive connections and stalled clients give up after this.
    timeout = 120

    def version_string(self):
        return "fake-imocha/1.0"

    def log_message(self, format, *args):
        pass  # quiet: our own --log line replaces http.server's

    def send_error(self, code, message=None, explain=None):
        # Malformed request lines etc.: still JSON, then close.
        self.close_connection = True
        try:
            self.reply(code, gateway(code, message or "Bad request"))
        except OSError:
            pass

    def do_GET(self):
        self.dispatch()

    do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = do_GET

    # --- low-level output ---

    def reply(self, code, obj, headers=(), raw=None):
        body = raw if raw is not None else dumps(obj)
        self.send_response(code)
        self.send_header("Content-Type", CONTENT_TYPE)
        self.send_header("Content-Length", str(len(body)))
        for k, v in headers:
            self.send_header(k, v)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
        self.answered = code

    def read_body(self):
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            parts = []
            while True:
                line = self.rfile.readline(65537)
                size = int(line.split(b";")[0].strip(), 16)
                if size == 0:
                    while self.rfile.readline(65537) not in (b"\r\n", b"\n",
                                                             b""):
                        pass
                    return b"".join(parts)
                parts.append(self.rfile.read(size))
                self.rfile.readline(65537)
        length = self.headers.get("Content-Length")
        if length is None:
            return b""
        n = int(length)
        if n < 0:
            raise ValueError("negative Content-Length")
        data = self.rfile.read(n)
        if len(data) != n:
            raise ConnectionError("short body")
        return data

    # --- request routing ---

    def dispatch(self):
        self.answered = None
        self.fault = None
        path = self.path.split("?", 1)[0]
        try:
            raw = self.read_body()
        except (ValueError, ConnectionError):
            self.close_connection = True
            self.reply(400, gateway(400, "Bad request body"))
            self.log_line(path, False)
            return
        key = self.headers.get("X-API-KEY")
        try:
            if path.startswith("/_fake/"):
                self.control(path, raw)
            elif path == "/v3" or path.startswith("/v3/"):
                self.v3(path, raw, key)
            else:
                self.reply(404, gateway(404, "Resource not found"))
        except OSError:
            # The client went away (reset, TLS EOF, timeout): nothing to say.
            self.close_connection = True
        except Exception:
            traceback.print_exc()
            self.close_connection = True
            if self.answered is None:
                self.reply(500, gateway(500, "fake_imocha internal error"))
        self.log_line(path, key is not None)

    def log_line(self, path, key_present):
        out = self.server.log_file
        if out is None:
            return
        line = "%s %s %s %s fault=%s key=%s\n" % (
            time.strftime("%Y-%m-%dT%H:%M:%S"), self.command, path,
            self.answered if self.answered is not None else "-",
            self.fault or "-", "yes" if key_present else "no")
        with self.server.log_lock:
            out.write(line)
            out.flush()

    def control(self, path, raw):
        st = self.server.state
        body, _ = parse_body(raw)
        route = (self.command, path)
        try:
            if route == ("GET", "/_fake/users"):
                self.reply(200, st.list_users())
            elif route == ("POST", "/_fake/users"):
                self.reply(200, st.preload(body))
            elif route == ("GET", "/_fake/requests"):
                with st.lock:
                    data = dumps({"requests": st.requests})
                self.reply(200, None, raw=data)
            elif route == ("POST", "/_fake/faults"):
                self.reply(200, st.add_faults(body))
            elif route == ("GET", "/_fake/faults"):
                self.reply(200, st.list_faults())
            elif route == ("GET", "/_fake/create_attempts"):
                self.reply(200, st.list_attempts())
            elif route == ("GET", "/_fake/held"):
                with st.lock:
                    held = st.held
                self.reply(200, {"held": held})
            elif route == ("POST", "/_fake/release"):
                self.reply(200, st.release())
            elif route == ("POST", "/_fake/reset"):
                with st.lock:
                    st.reset()
                st.release(by_reset=True)
                self.reply(200, {"reset": True})
            elif route == ("GET", "/_fake/stats"):
                self.reply(200, st.stats())
            else:
                self.reply(404, gateway(404, "Resource not found"))
        except ValueError as e:
            self.reply(400, {"error": str(e)})

    def v3(self, path, raw, key):
        st = self.server.state
        body, logged = parse_body(raw)
        entry = st.record(self.command, path, key is not None, logged, body)
        if self.server.latency:
            time.sleep(self.server.latency)
        try:
            self.v3_answer(path, body, key)
        finally:
            with st.lock:
                entry["status"] = self.answered
                entry["fault"] = self.fault

    def v3_answer(self, path, body, key):
        st = self.server.state
        if key is None or not hmac.compare_digest(
                key.encode("utf-8", "replace"), self.server.api_key):
            self.reply(401, gateway(401, MSG_401))
            return
        if not st.admit():
            self.fault = "rate_limit"
            self.reply(429, gateway(429, "Rate limit is exceeded. Try again "
                                    "in 1 seconds."), [("Retry-After", "1")])
            return
        email = field(body, "email") if isinstance(body, dict) else None
        f = st.take_fault(path, email)
        if f is None:
            self.reply(*self.endpoint(path, body))
            return
        self.fault = fault_kind(f)
        self.apply_fault(f, path, body)

    def endpoint(self, path, body):
        st = self.server.state
        routes = {("GET", "/v3/accounts/business-units"): st.bu_list,
                  ("POST", "/v3/accounts/user/create"): st.create,
                  ("POST", "/v3/accounts/user/update"): st.update,
                  ("POST", "/v3/accounts/user/status"): st.set_status}
        fn = routes.get((self.command, path))
        if fn is None:
            return 404, gateway(404, "Resource not found")
        return fn(body)

    # --- faults ---

    def apply_fault(self, f, path, body):
        kind = self.fault
        if kind in ("drop_before", "drop_after"):
            if kind == "drop_after":
                self.endpoint(path, body)
            self.close_connection = True
        elif kind == "status":
            code, ra = f["status"], f.get("retry_after")
            obj = f["body"] if "body" in f else default_fault_body(code, ra)
            hdrs = [("Retry-After", str(ra))] if ra is not None else []
            self.reply(code, obj, hdrs)
        elif kind == "delay_ms":
            code, obj = self.endpoint(path, body)
            time.sleep(f["delay_ms"] / 1000.0)
            self.reply(code, obj)
        elif kind == "hold":
            if self.server.state.hold(f.get("hold_ms", HOLD_MS)):
                self.reply(*self.endpoint(path, body))
            else:
                self.close_connection = True
        elif kind == "raw_body":
            self.reply(f.get("raw_status", 200), None,
                       raw=f["raw_body"].encode("utf-8", "surrogateescape"))
        elif kind == "huge_body_bytes":
            self.send_huge(f["huge_body_bytes"])
        else:
            self.send_endless(f.get("chunk_bytes", 64),
                              f.get("interval_ms", 100) / 1000.0)

    def start_body(self, length):
        self.send_response(200)
        self.send_header("Content-Type", CONTENT_TYPE)
        self.send_header("Content-Length", str(length))
        self.end_headers()
        self.answered = 200

    def send_huge(self, n):
        head, tail = b'{"padding":"', b'"}'
        if n < len(head) + len(tail):
            head, tail = b"{}"[:n], b" " * max(0, n - 2)
            fill = 0
        else:
            fill = n - len(head) - len(tail)
        self.start_body(n)
        self.wfile.write(head)
        block = b"x" * 65536
        while fill > 0:
            self.wfile.write(block[:fill])
            fill -= min(fill, len(block))
        self.wfile.write(tail)

    def send_endless(self, chunk, interval):
        # Promise far more than will ever come, then trickle.
        self.close_connection = True
        self.start_body(ENDLESS_LENGTH)
        self.wfile.write(b'{"padding":"')
        deadline = time.monotonic() + ENDLESS_SECONDS
        block = b"x" * chunk
        while time.monotonic() < deadline:
            try:
                self.wfile.write(block)
            except OSError:
                return
            time.sleep(interval)


class Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # endless-body threads must not delay exit
    request_queue_size = 128

    def __init__(self, state, opts, ssl_ctx):
        super().__init__(("127.0.0.1", 0), Handler)
        self.state = state
        self.api_key = opts.api_key.encode("utf-8")
        self.latency = opts.latency_ms / 1000.0
        self.ssl_ctx = ssl_ctx
        self.log_lock = threading.Lock()
        self.log_file = open(opts.log, "a", encoding="utf-8") \
            if opts.log else None

    def finish_request(self, request, client_address):
        if self.ssl_ctx is None:
            super().finish_request(request, client_address)
            return
        # Handshake here, in the connection's own thread, not in accept().
        request.settimeout(10)
        try:
            tls = self.ssl_ctx.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError):
            return
        try:
            tls.settimeout(None)
            self.RequestHandlerClass(tls, client_address, self)
        finally:
            tls.close()

    def handle_error(self, request, client_address):
        exc = sys.exc_info()[1]
        if not isinstance(exc, (OSError, ssl.SSLError)):
            traceback.print_exc()


def parse_bu(text):
    ident, sep, name = text.partition(":")
    try:
        value = int(ident)
    except ValueError:
        value = None
    if not sep or value is None:
        raise argparse.ArgumentTypeError("expected ID:NAME, got %r" % text)
    return value, name


def parse_args(argv):
    p = argparse.ArgumentParser(description="fake iMocha API for tests")
    p.add_argument("--port-file", required=True)
    p.add_argument("--api-key", required=True)
    p.add_argument("--bu", type=parse_bu, action="append", default=[])
    p.add_argument("--tls-cert")
    p.add_argument("--tls-key")
    p.add_argument("--latency-ms", type=int, default=0)
    p.add_argument("--rate-limit", type=int, default=0)
    p.add_argument("--log")
    opts = p.parse_args(argv)
    if bool(opts.tls_cert) != bool(opts.tls_key):
        p.error("--tls-cert and --tls-key go together")
    if opts.latency_ms < 0 or opts.rate_limit < 0:
        p.error("--latency-ms and --rate-limit must be >= 0")
    if not opts.bu:
        opts.bu = [(164373, "Default BU 1")]
    return opts


def make_ssl(opts):
    if not opts.tls_cert:
        return None
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(opts.tls_cert, opts.tls_key)
    return ctx


def write_port_file(path, port):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % port)
    os.replace(tmp, path)


def main(argv):
    opts = parse_args(argv)
    server = Server(State(opts.bu, opts.rate_limit), opts, make_ssl(opts))

    def stop(signum, frame):
        # shutdown() waits for serve_forever(), which runs in this thread.
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    write_port_file(opts.port_file, server.server_address[1])
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()
        if server.log_file:
            server.log_file.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
