#!/usr/bin/python3
"""ldap_liar.py: a lying LDAP proxy for integration tests.

Sits between an LDAP client (the agent, ldapsearch) and a real slapd with
the syncprov overlay, and makes slapd tell, on demand, the lies that 389
Directory Server and FreeIPA tell about RFC 4533 content sync (see
/work/shared/DIRECTORY_SERVERS.md), or drop or stall a connection mid-read.
Python 3 standard library only; run it with Debian's /usr/bin/python3.

COMMAND LINE
  /usr/bin/python3 tests/lib/ldap_liar.py --upstream HOST:PORT
      --port-file FILE --mode-file FILE --log FILE

  --upstream HOST:PORT  The plain ldap:// server to forward to; loopback
                    only (127.x, ::1, localhost), anything else refused.
  --port-file FILE  Binds 127.0.0.1 on an OS-chosen port; once listening,
                    writes the port (decimal, newline) to FILE atomically
                    (FILE.tmp then rename).
  --mode-file FILE  The lies to tell, re-read at the start of every client
                    connection (a missing or empty file: tell none).
  --log FILE        One line appended per lie actually told; the line
                    starts with the word that told it.
  SIGTERM / SIGINT: exit at once (connections are simply dropped).

MODE FILE: words separated by white space or commas (result=N,URL aside).
  refresh_deletes_false  389's refresh: the Sync Done control of a
        SearchResultDone is rewritten with refreshDeletes FALSE (the
        BOOLEAN omitted, the cookie kept); every "present" message is
        dropped: Sync Info syncIdSet with refreshDeletes FALSE, Sync Info
        refreshPresent markers, and entries with Sync State present(0).
        Delete idsets (refreshDeletes TRUE) pass.  Log lines:
        "refresh_deletes_false done", "refresh_deletes_false present N",
        "refresh_deletes_false marker", "refresh_deletes_false entry DN".
  strip_operational  entries with Sync State add(1) or modify(2) lose
        entryUUID, entryCSN, nsUniqueId, createTimestamp, modifyTimestamp
        (any case).  Log: "strip_operational DN ATTR,ATTR" (only when an
        attribute was really removed).
  drop_deletes  Sync Info syncIdSet with refreshDeletes TRUE and entries
        with Sync State delete(3) are dropped.  Log: "drop_deletes N UUID..."
        (N UUIDs of one idset) or "drop_deletes 1 UUID DN" (an entry).
  report_nothing  for a sync search whose request carried a cookie, every
        SearchResultEntry, SearchResultReference and IntermediateResponse
        is dropped; the SearchResultDone (with its cookie) passes.  Log:
        "report_nothing N" at the SearchResultDone, when N > 0 were dropped.
  drop_after=N  when a SearchResultEntry arrives after N have been
        forwarded on the connection, both sockets are closed instead
        (whatever was forwarded before is sent first).  Log:
        "drop_after N".
  stall_after=N  the same trigger, but from then on nothing more is
        forwarded server->client; the connection stays open until the
        client closes it.  Log: "stall_after N".
  sync_only  drop_after/stall_after count (and cut) only entries of
        searches carrying the Sync Request control.
  pose_as_389  the root DSE (a SearchResultEntry with an empty DN, read
        with a base search of "") looks like 389 Directory Server's, not
        OpenLDAP's: the value OpenLDAProotDSE leaves objectClass (any case;
        top and the rest stay), any vendorName/vendorVersion slapd sent
        is dropped, and "vendorName: 389 Project" and "vendorVersion:
        389-Directory/2.3.1 B2023.000.0000" are appended, when the search
        asked for them: by name, or with no attribute list, "*" or "+"
        (typesOnly: the names without values).  Every other attribute
        (supportedControl, namingContexts, even structuralObjectClass
        under "+") passes as slapd sent it.  Log: "pose_as_389", once per
        root DSE really changed.
  pose_as_unknown  the same, but no vendor attribute is added (a server
        of no known family).  Log: "pose_as_unknown".  With both words,
        pose_as_389 wins.
  pose_as_ad  the same, with "supportedCapabilities:
        1.2.840.113556.1.4.800" (Active Directory's own capability)
        appended instead of a vendor.  Log: "pose_as_ad".  pose_as_389
        wins over it, it over pose_as_unknown.
  result=N[,URL]  the SearchResultDone of a search carrying the Sync
        Request control gets resultCode N (decimal) instead of slapd's;
        matchedDN and diagnosticMessage stay slapd's, and so do the
        message's controls (the Sync Done control and its cookie).  For
        N = 10 (referral) the referral field [3] holds URL (default
        ldap://elsewhere.example.com/ou=People,dc=example,dc=com); for any
        other N a referral field slapd sent is dropped (an LDAPResult
        carries one only with code 10), and a URL given is ignored, said
        on stderr.  The URL may hold commas: when the comma-separated
        piece after "result=N" holds "://", it and the rest of that
        white-space separated word are the URL; otherwise they are more
        words ("result=4,any_search").  Log: "result N", once per
        SearchResultDone rewritten.
  any_search  result=N rewrites the SearchResultDone of every search
        (paged reads, the root DSE, reads by DN...), not only sync ones.
  result_filter=TEXT  result=N rewrites only searches whose filter holds
        TEXT (compared without regard to case with the filter's BER bytes,
        which hold its attribute names and values as sent): with
        any_search, "result_filter=inetOrgPerson" picks the agent's user
        read out of its OU read ("organizationalUnit") and root DSE read.
  refs_only_filter=TEXT  search continuation references reach the
        client only in searches whose filter holds TEXT (compared as
        result_filter does); every other search's are dropped: a part of
        the directory that turns into a referral between two searches.
        Log: "refs_only_filter DN-less" once per reference dropped.
  page_max=N  Active Directory's MaxPageSize: a SearchRequest whose
        paged-results control (RFC 2696, 1.2.840.113556.1.4.319) asks for
        pages of more than N entries reaches slapd asking for N (the
        cookie and criticality kept), so slapd answers pages of at most N,
        each with a cookie to ask for the next, whatever size the client
        asked.  N >= 1.  Log: "page_max N", once per request rewritten.
  range_member=N  Active Directory's MaxValRange and its ranged
        retrieval of values (MS-ADTS 3.1.1.3.1.3.3), for the attribute
        member (any case) only.  N >= 1.
        Asked plainly (member by name, no attribute list, or "*"): an
        entry whose member has more than N values gets, in its place,
        member;range=0-(N-1) with the first N values in slapd's order; no
        empty member is sent alongside (AD sends none).  N or fewer
        values pass unchanged.
        Asked by range: a SearchRequest whose attribute list holds
        member;range=L-H or member;range=L-* (any case; digits, L <= H)
        reaches slapd asking for plain member instead (slapd knows no
        ranges), and in each entry holding member the attribute becomes
        member;range=L-E with the values L..E, E = min(H, L+N-1): E is
        "*" when it reaches the last value (AD's end marker), even if that
        is fewer than N or than asked.  An L past the last value gives
        member;range=L-* with no values at all (what Samba's
        ranged_results module answers; AD's answer was not checked).  An
        entry without member is left alone; with several ranges asked,
        the first wins, and a range asked wins over a plain member or "*"
        in the same request.  A malformed range (L > H, not digits,
        another option beside it) passes to slapd as sent.
        Log: "range_member DN L-E" (E a number or "*"), once per entry
        rewritten.
  refuse_sync  Samba AD DC's answer to the content-sync control: a
        SearchRequest carrying the Sync Request control (critical or not)
        is not forwarded; the client gets, with the search's messageID, an
        ExtendedResponse (not a SearchResultDone) with resultCode 12
        (unavailableCriticalExtension) and a diagnosticMessage, and then
        nothing more for that search, which never ends.  The connection
        stays open; other operations pass.  Log: "refuse_sync", once per
        search refused.
  refuse_sync=done80  the same, but the answer is a SearchResultDone
        with resultCode 80 (other): a server that ends the search.  Log:
        "refuse_sync done80".
  refuse_sync=protocol  the same with resultCode 2 (protocolError).
        Log: "refuse_sync protocol".  With several refuse_sync words, the
        first listed here wins.
  Unknown words are reported on stderr and ignored.

Everything else (binds, paged searches within page_max...) passes unchanged.
A StartTLS request switches the connection to a blind byte pipe.  With
no lie in force a connection is a blind byte pipe from the start.
"""

import argparse
import os
import re
import signal
import socket
import sys
import threading

OID_SYNC_REQUEST = b"1.3.6.1.4.1.4203.1.9.1.1"
OID_SYNC_STATE = b"1.3.6.1.4.1.4203.1.9.1.2"
OID_SYNC_DONE = b"1.3.6.1.4.1.4203.1.9.1.3"
OID_SYNC_INFO = b"1.3.6.1.4.1.4203.1.9.1.4"
OID_STARTTLS = b"1.3.6.1.4.1.1466.20037"
OID_PAGED_RESULTS = b"1.2.840.113556.1.4.319"

OP_SEARCH_REQUEST = 0x63
OP_SEARCH_ENTRY = 0x64
OP_SEARCH_DONE = 0x65
OP_SEARCH_REF = 0x73
OP_EXT_REQUEST = 0x77
OP_EXT_RESPONSE = 0x78
OP_INTERMEDIATE = 0x79

STRIP_ATTRS = {b"entryuuid", b"entrycsn", b"nsuniqueid",
               b"createtimestamp", b"modifytimestamp"}

WORDS = {"refresh_deletes_false", "strip_operational", "drop_deletes",
         "report_nothing", "sync_only", "pose_as_389", "pose_as_unknown", "pose_as_ad",
         "any_search"}

# result=10 without a URL: where the referral points.
DEFAULT_REFERRAL = b"ldap://elsewhere.example.com/ou=People,dc=example,dc=com"
LDAP_REFERRAL = 10

# pose_as_389: what 389 Directory Server says of itself in its root DSE.
VENDOR_389 = [(b"vendorName", b"389 Project"),
              (b"vendorVersion", b"389-Directory/2.3.1 B2023.000.0000")]
# pose_as_ad: the capability Active Directory's root DSE lists.
VENDOR_AD = [(b"supportedCapabilities", b"1.2.840.113556.1.4.800")]
POSES = {"pose_as_389": VENDOR_389, "pose_as_ad": VENDOR_AD, "pose_as_unknown": []}
VENDOR_ATTRS = {b"vendorname", b"vendorversion"}
OPENLDAP_ROOTDSE_OC = b"openldaprootdse"
# The words taking a number N, and those of them needing N >= 1 (a page
# of 0 entries would end the client's paged search, not cap it; a range
# of 0 values is no range).
COUNT_WORDS = {"drop_after", "stall_after", "page_max", "range_member"}
POSITIVE_WORDS = {"page_max", "range_member"}
# range_member: the attribute it ranges, and a range asked for it.
RANGE_ATTR = b"member"
RANGE_ASKED = re.compile(rb"member;range=([0-9]+)-([0-9]+|\*)", re.IGNORECASE)
# refuse_sync and its variants: (the protocolOp answering the refused
# search, its resultCode, the log line), the first here winning.
REFUSALS = {"refuse_sync": (OP_EXT_RESPONSE, 12, "refuse_sync"),
            "refuse_sync=done80": (OP_SEARCH_DONE, 80, "refuse_sync done80"),
            "refuse_sync=protocol": (OP_SEARCH_DONE, 2, "refuse_sync protocol")}
REFUSAL_TEXT = b"ldap_liar: the content-sync control is not supported here"


class BerError(Exception):
    pass


# --- BER ------------------------------------------------------------------

def tlv(buf, pos, end):
    """Parse one TLV in buf[pos:end]: (tag, value_start, value_end).
    Tags are taken as their first byte (LDAP's are all single-byte);
    a multi-byte tag is skipped over correctly all the same."""
    if pos >= end:
        raise BerError("truncated tag")
    tag = buf[pos]
    pos += 1
    if tag & 0x1F == 0x1F:
        while True:
            if pos >= end:
                raise BerError("truncated tag")
            b = buf[pos]
            pos += 1
            if not b & 0x80:
                break
    if pos >= end:
        raise BerError("truncated length")
    n = buf[pos]
    pos += 1
    if n & 0x80:
        k = n & 0x7F
        if k == 0 or k > 4:
            raise BerError("unsupported length form")
        if pos + k > end:
            raise BerError("truncated length")
        n = int.from_bytes(buf[pos:pos + k], "big")
        pos += k
    if pos + n > end:
        raise BerError("value runs past its container")
    return tag, pos, pos + n


def frame(buf, pos):
    """The end of the complete LDAPMessage starting at buf[pos], or None
    if more bytes are needed."""
    have = len(buf) - pos
    if have < 2:
        return None
    if buf[pos] != 0x30:
        raise BerError("message does not start with a SEQUENCE")
    n = buf[pos + 1]
    hdr = 2
    if n & 0x80:
        k = n & 0x7F
        if k == 0 or k > 4:
            raise BerError("unsupported message length form")
        if have < 2 + k:
            return None
        n = int.from_bytes(buf[pos + 2:pos + 2 + k], "big")
        hdr = 2 + k
    if have < hdr + n:
        return None
    return pos + hdr + n


def children(buf, start, end):
    """The TLVs inside buf[start:end], as (tag, vs, ve) tuples."""
    out = []
    pos = start
    while pos < end:
        t, vs, ve = tlv(buf, pos, end)
        out.append((t, vs, ve))
        pos = ve
    return out


def enc_len(n):
    if n < 0x80:
        return bytes([n])
    b = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(b)]) + b


def enc(tag, value):
    return bytes([tag]) + enc_len(len(value)) + value


def uuid_str(b):
    h = bytes(b).hex()
    if len(h) != 32:
        return h or "-"
    return "%s-%s-%s-%s-%s" % (h[0:8], h[8:12], h[12:16], h[16:20], h[20:32])


class Message:
    """One LDAPMessage: msgid, the protocolOp's tag and raw TLV, and its
    controls as raw (oid, critical_tlv_or_None, value_bytes_or_None)."""

    def __init__(self, raw):
        self.raw = raw
        t, vs, ve = tlv(raw, 0, len(raw))
        if t != 0x30 or ve != len(raw):
            raise BerError("bad LDAPMessage")
        parts = children(raw, vs, ve)
        if len(parts) < 2 or parts[0][0] != 0x02:
            raise BerError("no messageID")
        _, ms, me = parts[0]
        self.msgid = int.from_bytes(raw[ms:me], "big", signed=True)
        self.msgid_tlv = raw[vs:me]
        self.op, self.op_vs, self.op_ve = parts[1]
        self.op_start = me
        self.controls = None
        self.controls_range = None
        if len(parts) > 2 and parts[2][0] == 0xA0:
            self.controls_range = (parts[2][1], parts[2][2])

    def op_tlv(self):
        return self.raw[self.op_start:self.op_ve]

    def get_controls(self):
        if self.controls is None:
            self.controls = []
            if self.controls_range:
                for t, vs, ve in children(self.raw, *self.controls_range):
                    if t != 0x30:
                        raise BerError("control is not a SEQUENCE")
                    oid, crit, val = None, None, None
                    for ct, cvs, cve in children(self.raw, vs, ve):
                        if ct == 0x04 and oid is None:
                            oid = bytes(self.raw[cvs:cve])
                        elif ct == 0x01:
                            crit = bytes(self.raw[cvs:cve])
                        elif ct == 0x04:
                            val = bytes(self.raw[cvs:cve])
                    self.controls.append([oid, crit, val])
        return self.controls

    def control(self, oid):
        for c in self.get_controls():
            if c[0] == oid:
                return c
        return None

    def rebuild(self, op_tlv=None, controls=None):
        """The message re-encoded with a new protocolOp TLV and/or
        controls list."""
        body = self.msgid_tlv + (op_tlv if op_tlv is not None else self.op_tlv())
        ctrls = controls if controls is not None else self.controls
        if ctrls is None:
            if self.controls_range:
                body += enc(0xA0, self.raw[self.controls_range[0]:
                                           self.controls_range[1]])
        elif ctrls:
            seq = b""
            for oid, crit, val in ctrls:
                c = enc(0x04, oid)
                if crit is not None:
                    c += enc(0x01, crit)
                if val is not None:
                    c += enc(0x04, val)
                seq += enc(0x30, c)
            body += enc(0xA0, seq)
        return enc(0x30, body)


def sync_state(msg):
    """(state, uuid bytes) of an entry's Sync State control, or None."""
    c = msg.control(OID_SYNC_STATE)
    if c is None or c[2] is None:
        return None
    val = c[2]
    t, vs, ve = tlv(val, 0, len(val))
    if t != 0x30:
        raise BerError("Sync State value is not a SEQUENCE")
    parts = children(val, vs, ve)
    if len(parts) < 2 or parts[0][0] != 0x0A:
        raise BerError("Sync State without its state")
    state = int.from_bytes(val[parts[0][1]:parts[0][2]], "big")
    return state, val[parts[1][1]:parts[1][2]]


def sync_info(msg):
    """Decode an IntermediateResponse: None unless it is a Sync Info;
    else (kind, refresh_deletes, uuids) with kind one of "newcookie",
    "refreshDelete", "refreshPresent", "syncIdSet"."""
    parts = children(msg.raw, msg.op_vs, msg.op_ve)
    name = None
    value = None
    for t, vs, ve in parts:
        if t == 0x80:
            name = bytes(msg.raw[vs:ve])
        elif t == 0x81:
            value = bytes(msg.raw[vs:ve])
    if name != OID_SYNC_INFO or value is None:
        return None
    t, vs, ve = tlv(value, 0, len(value))
    if t == 0x80:
        return "newcookie", None, []
    if t == 0xA1:
        return "refreshDelete", True, []
    if t == 0xA2:
        return "refreshPresent", False, []
    if t == 0xA3:
        deletes = False
        uuids = []
        for ct, cvs, cve in children(value, vs, ve):
            if ct == 0x01:
                deletes = any(value[cvs:cve])
            elif ct == 0x31:
                uuids = [value[us:ue] for _, us, ue
                         in children(value, cvs, cve)]
        return "syncIdSet", deletes, uuids
    return "unknown", None, []


def sync_request(msg):
    """(is_sync, has_cookie) for a SearchRequest."""
    c = msg.control(OID_SYNC_REQUEST)
    if c is None:
        return False, False
    val = c[2]
    if not val:
        return True, False
    t, vs, ve = tlv(val, 0, len(val))
    for ct, cvs, cve in children(val, vs, ve):
        if ct == 0x04:
            return True, cve > cvs
    return True, False


def entry_dn(msg):
    t, vs, ve = tlv(msg.raw, msg.op_vs, msg.op_ve)
    return bytes(msg.raw[vs:ve]).decode("utf-8", "replace")


def strip_entry(msg):
    """The entry's protocolOp TLV without STRIP_ATTRS and the names
    removed, or (None, []) when it holds none of them."""
    raw = msg.raw
    parts = children(raw, msg.op_vs, msg.op_ve)
    if len(parts) != 2 or parts[0][0] != 0x04 or parts[1][0] != 0x30:
        raise BerError("bad SearchResultEntry")
    removed = []
    kept = []
    pos, end = parts[1][1], parts[1][2]
    while pos < end:
        _, vs, ve = tlv(raw, pos, end)
        _, ns, ne = tlv(raw, vs, ve)
        name = bytes(raw[ns:ne])
        if name.split(b";", 1)[0].lower() in STRIP_ATTRS:
            removed.append(name.decode("ascii", "replace"))
        else:
            kept.append(raw[pos:ve])
        pos = ve
    if not removed:
        return None, []
    # The DN's TLV starts where the protocolOp's value does.
    dn_tlv = raw[msg.op_vs:parts[0][2]]
    return enc(OP_SEARCH_ENTRY, dn_tlv + enc(0x30, b"".join(kept))), removed


def search_filter(msg):
    """A SearchRequest's filter, its BER TLV as sent."""
    parts = children(msg.raw, msg.op_vs, msg.op_ve)
    if len(parts) < 8:
        raise BerError("bad SearchRequest")
    return bytes(msg.raw[parts[5][2]:parts[6][2]])


def dse_request(msg):
    """For a SearchRequest whose base is the empty DN (a root DSE read):
    (types_only, set of the requested attribute names, lowercased);
    None for any other base."""
    parts = children(msg.raw, msg.op_vs, msg.op_ve)
    if len(parts) < 8 or parts[0][0] != 0x04 or parts[-1][0] != 0x30:
        raise BerError("bad SearchRequest")
    if parts[0][2] != parts[0][1]:
        return None
    types_only = parts[5][0] == 0x01 and any(msg.raw[parts[5][1]:parts[5][2]])
    names = set()
    for t, vs, ve in children(msg.raw, parts[-1][1], parts[-1][2]):
        if t == 0x04:
            names.add(bytes(msg.raw[vs:ve]).lower())
    return types_only, names


def pose_root_dse(msg, vendor, req):
    """The root DSE's protocolOp TLV with OpenLDAProotDSE gone from
    objectClass, slapd's own vendorName/vendorVersion (if any) gone, and
    the (name, value) pairs of vendor appended when req (from dse_request;
    None: unknown, taken as "all") asked for them; None when that changes
    nothing."""
    raw = msg.raw
    parts = children(raw, msg.op_vs, msg.op_ve)
    if len(parts) != 2 or parts[0][0] != 0x04 or parts[1][0] != 0x30:
        raise BerError("bad SearchResultEntry")
    changed = False
    kept = []
    pos, end = parts[1][1], parts[1][2]
    while pos < end:
        _, vs, ve = tlv(raw, pos, end)
        _, ns, ne = tlv(raw, vs, ve)
        name = bytes(raw[ns:ne])
        base = name.split(b";", 1)[0].lower()
        if base in VENDOR_ATTRS:
            changed = True
        elif base == b"objectclass":
            st, svs, sve = tlv(raw, ne, ve)
            keep = b""
            dropped = False
            for _, avs, ave in children(raw, svs, sve):
                if bytes(raw[avs:ave]).lower() == OPENLDAP_ROOTDSE_OC:
                    dropped = True
                else:
                    keep += enc(0x04, raw[avs:ave])
            if dropped:
                changed = True
                kept.append(enc(0x30, enc(0x04, name) + enc(st, keep)))
            else:
                kept.append(raw[pos:ve])
        else:
            kept.append(raw[pos:ve])
        pos = ve
    types_only, asked = req if req is not None else (False, set())
    everything = not asked or b"*" in asked or b"+" in asked
    for name, value in vendor:
        if everything or name.lower() in asked:
            vals = b"" if types_only else enc(0x04, value)
            kept.append(enc(0x30, enc(0x04, name) + enc(0x31, vals)))
            changed = True
    if not changed:
        return None
    dn_tlv = raw[msg.op_vs:parts[0][2]]
    return enc(OP_SEARCH_ENTRY, dn_tlv + enc(0x30, b"".join(kept)))


def sync_done_false(value):
    """A Sync Done control value with refreshDeletes omitted (FALSE), or
    None when it already says FALSE."""
    if value is None:
        return None
    t, vs, ve = tlv(value, 0, len(value))
    if t != 0x30:
        raise BerError("Sync Done value is not a SEQUENCE")
    cookie = b""
    deletes = False
    for ct, cvs, cve in children(value, vs, ve):
        if ct == 0x04:
            cookie = enc(0x04, value[cvs:cve])
        elif ct == 0x01:
            deletes = any(value[cvs:cve])
    if not deletes:
        return None
    return enc(0x30, cookie)


def enc_int(tag, n):
    """An INTEGER's (0x02) or ENUMERATED's (0x0A) TLV: n in the shortest
    two's complement form."""
    return enc(tag, n.to_bytes(n.bit_length() // 8 + 1, "big", signed=True))


def rewrite_result(msg, code, url):
    """The SearchResultDone's protocolOp TLV with resultCode code; for
    code 10 the referral [3] is url, for any other a referral is dropped.
    matchedDN, diagnosticMessage and anything after are kept as sent."""
    raw = msg.raw
    parts = children(raw, msg.op_vs, msg.op_ve)
    if len(parts) < 3 or parts[0][0] != 0x0A or parts[1][0] != 0x04 \
            or parts[2][0] != 0x04:
        raise BerError("bad SearchResultDone")
    body = enc_int(0x0A, code)
    for i, (t, vs, ve) in enumerate(parts[1:], 1):
        start = parts[i - 1][2]     # a TLV starts where the last one ended
        if t == 0xA3:
            continue                # slapd's own referral: replaced/dropped
        body += raw[start:ve]
        if i == 2 and code == LDAP_REFERRAL:
            body += enc(0xA3, enc(0x04, url))
    return enc(OP_SEARCH_DONE, body)


def cap_page(msg, n):
    """The SearchRequest re-encoded with its paged-results control asking
    for n entries a page, or None when it has no such control or asks for
    n or fewer."""
    c = msg.control(OID_PAGED_RESULTS)
    if c is None or c[2] is None:
        return None
    val = c[2]
    t, vs, ve = tlv(val, 0, len(val))
    parts = children(val, vs, ve) if t == 0x30 else []
    if len(parts) != 2 or parts[0][0] != 0x02:
        raise BerError("bad paged-results control value")
    if int.from_bytes(val[parts[0][1]:parts[0][2]], "big", signed=True) <= n:
        return None
    # The cookie's TLV starts where the size's ends.
    c[2] = enc(0x30, enc_int(0x02, n) + val[parts[0][2]:parts[1][2]])
    return msg.rebuild(controls=msg.get_controls())


def member_request(msg):
    """For range_member, what SearchRequest msg asked of member:
    (plain, rng, op_tlv): plain True when it asked for member plainly (by
    name, no attribute list, or "*"); rng (L, H) for the first
    member;range=L-H it held (H None for "*"), else None; op_tlv the
    protocolOp with every such range replaced by plain member, or None
    when it held none."""
    raw = msg.raw
    parts = children(raw, msg.op_vs, msg.op_ve)
    if len(parts) < 8 or parts[-1][0] != 0x30:
        raise BerError("bad SearchRequest")
    names = [bytes(raw[vs:ve]) for t, vs, ve
             in children(raw, parts[-1][1], parts[-1][2]) if t == 0x04]
    plain = not names
    rng = None
    attrs = b""
    for name in names:
        m = RANGE_ASKED.fullmatch(name)
        if m is not None:
            low = int(m.group(1))
            high = None if m.group(2) == b"*" else int(m.group(2))
            if high is None or low <= high:
                if rng is None:
                    rng = (low, high)
                attrs += enc(0x04, RANGE_ATTR)
                continue
        if name.lower() in (RANGE_ATTR, b"*"):
            plain = True
        attrs += enc(0x04, name)
    if rng is None:
        return plain, None, None
    # The attribute list's TLV starts where the filter's ends.
    return plain, rng, enc(OP_SEARCH_REQUEST,
                           raw[msg.op_vs:parts[-2][2]] + enc(0x30, attrs))


def range_entry(msg, n, plain, rng):
    """The SearchResultEntry's protocolOp TLV with its member cut as AD's
    ranged retrieval would (see range_member), and the range sent as
    "L-E"; (None, None) when it stays as slapd sent it."""
    raw = msg.raw
    parts = children(raw, msg.op_vs, msg.op_ve)
    if len(parts) != 2 or parts[0][0] != 0x04 or parts[1][0] != 0x30:
        raise BerError("bad SearchResultEntry")
    attrs = []                  # (name, raw attribute TLV, value TLVs)
    pos, end = parts[1][1], parts[1][2]
    found = None
    while pos < end:
        _, vs, ve = tlv(raw, pos, end)
        _, ns, ne = tlv(raw, vs, ve)
        name = bytes(raw[ns:ne])
        if found is None and name.lower() == RANGE_ATTR:
            st, svs, sve = tlv(raw, ne, ve)
            values = []
            vpos = svs
            while vpos < sve:
                _, _, vend = tlv(raw, vpos, sve)
                values.append(raw[vpos:vend])
                vpos = vend
            found = len(attrs)
            attrs.append((name, None, values))
        else:
            attrs.append((name, raw[pos:ve], None))
        pos = ve
    if found is None:
        return None, None
    name, _, values = attrs[found]
    last = len(values) - 1
    if rng is not None:
        low, high = rng
        top = low + n - 1 if high is None else min(high, low + n - 1)
    elif plain and len(values) > n:
        low, top = 0, n - 1
    else:
        return None, None
    if top >= last:
        top, label = last, b"*"
    else:
        label = b"%d" % top
    sent = values[low:top + 1] if low <= top else []
    ranged = b"%s;range=%d-%s" % (name, low, label)
    body = b""
    for i, (_, tlv_raw, _) in enumerate(attrs):
        if i == found:
            body += enc(0x30, enc(0x04, ranged) + enc(0x31, b"".join(sent)))
        else:
            body += tlv_raw
    dn_tlv = raw[msg.op_vs:parts[0][2]]
    return (enc(OP_SEARCH_ENTRY, dn_tlv + enc(0x30, body)),
            "%d-%s" % (low, label.decode()))


def refusal(msg, op, code):
    """The answer refusing SearchRequest msg: a protocolOp op (an
    ExtendedResponse or SearchResultDone) with resultCode code, an empty
    matchedDN and REFUSAL_TEXT, under the search's messageID."""
    return enc(0x30, msg.msgid_tlv + enc(op, enc_int(0x0A, code) + enc(0x04, b"")
                                         + enc(0x04, REFUSAL_TEXT)))


# --- the proxy ------------------------------------------------------------

class Log:
    """The lie log, opened once in append mode; every line is flushed at
    once (a test may read it while a connection is still open)."""

    def __init__(self, path):
        self.f = open(path, "a", encoding="utf-8", errors="replace")
        self.lock = threading.Lock()

    def lie(self, line):
        with self.lock:
            self.f.write(line + "\n")
            self.f.flush()


def err(text):
    sys.stderr.write("ldap_liar: %s\n" % text)
    sys.stderr.flush()


def read_mode(path):
    """(words, counts, result): the plain words (refuse_sync=... kept
    whole), {word of COUNT_WORDS: N}, and
    (N, URL bytes, result_filter's TEXT lowercased or None) for
    result=N[,URL], or None."""
    words = set()
    counts = {}
    result = None
    match = None
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except OSError:
        return words, counts, None
    tokens = []
    for big in text.split():
        pieces = big.split(",")
        i = 0
        while i < len(pieces):
            w = pieces[i]
            i += 1
            if w.startswith("result=") and i < len(pieces) and "://" in pieces[i]:
                # result=N,URL: the URL, commas and all, is the rest of
                # the white-space separated word.
                tokens.append((w, ",".join(pieces[i:])))
                break
            if w:
                tokens.append((w, None))
    for w, url in tokens:
        name, eq, arg = w.partition("=")
        if name in COUNT_WORDS and eq and arg.isdigit() and \
                (name not in POSITIVE_WORDS or int(arg) > 0):
            counts[name] = int(arg)
        elif w in REFUSALS:
            words.add(w)
        elif name == "result" and eq and arg.isdigit() and int(arg) < 2 ** 31:
            code = int(arg)
            if url is not None and code != LDAP_REFERRAL:
                err("mode file: %s: the URL is ignored, a referral needs "
                    "result=%d" % (w, LDAP_REFERRAL))
            result = (code, url.encode("utf-8") if url else DEFAULT_REFERRAL)
        elif name == "refs_only_filter" and eq and arg:
            words.add("refs_only_filter=" + arg.lower())
        elif name == "result_filter" and eq and arg:
            match = arg.encode("utf-8").lower()
        elif name in WORDS and not eq:
            words.add(name)
        else:
            err("mode file: ignoring unknown word %r"
                % (w if url is None else w + "," + url))
    if result is not None:
        result += (match,)
    return words, counts, result


class Conn:
    def __init__(self, client, upstream, words, counts, result, log, cid):
        self.client = client
        self.up = upstream
        self.words = words
        self.counts = counts
        self.result = result        # (code, referral URL, match) or None
        self.filter_hits = set()    # msgids whose filter holds the match
        self.refs_hidden = set()    # msgids whose references are dropped
        self.log = log
        self.cid = cid
        self.lock = threading.Lock()
        self.closed = False
        self.requests = {}          # msgid -> (is_sync, has_cookie)
        self.starttls_id = None     # msgid of a StartTLS request
        self.raw = not words and not counts and not result
        self.forwarded = 0          # entries forwarded that count
        self.stalled = False
        self.dropped = {}           # msgid -> report_nothing drops
        self.dse_reqs = {}          # msgid -> dse_request() of a "" base
        self.member_reqs = {}       # msgid -> range_member's (plain, rng)
        self.pose = next((p for p in ("pose_as_389", "pose_as_ad", "pose_as_unknown")
                          if p in words), None)
        self.refusal = next((REFUSALS[r] for r in REFUSALS if r in words), None)
        # Both directions write to the client (c2s its refusals): one
        # message at a time.
        self.client_lock = threading.Lock()

    def close(self):
        with self.lock:
            if self.closed:
                return
            self.closed = True
        for s in (self.client, self.up):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            try:
                s.close()
            except OSError:
                pass

    def to_client(self, data):
        with self.client_lock:
            self.client.sendall(data)

    def run(self):
        threading.Thread(target=self.c2s, daemon=True).start()
        threading.Thread(target=self.s2c, daemon=True).start()

    # client -> server: forwarded as is, SearchRequests noted, but for
    # page_max's and range_member's rewrites and refuse_sync's refusals.
    def c2s(self):
        buf = bytearray()
        raw = self.raw
        try:
            while True:
                data = self.client.recv(65536)
                if not data:
                    break
                if raw:
                    self.up.sendall(data)
                    continue
                buf += data
                out = []
                pos = 0
                while True:
                    end = frame(buf, pos)
                    if end is None:
                        break
                    msg = Message(bytes(buf[pos:end]))
                    pos = end
                    piece = msg.raw
                    if msg.op == OP_SEARCH_REQUEST:
                        if self.refusal and msg.control(OID_SYNC_REQUEST):
                            op, code, line = self.refusal
                            self.to_client(refusal(msg, op, code))
                            self.log.lie(line)
                            continue
                        n = self.counts.get("page_max")
                        capped = cap_page(msg, n) if n else None
                        if capped is not None:
                            piece = capped
                            self.log.lie("page_max %d" % n)
                        if "range_member" in self.counts:
                            plain, rng, op_tlv = member_request(msg)
                            self.member_reqs[msg.msgid] = (plain, rng)
                            if op_tlv is not None:
                                piece = Message(piece).rebuild(op_tlv=op_tlv)
                        self.requests[msg.msgid] = sync_request(msg)
                        if self.result and self.result[2] is not None:
                            if self.result[2] in search_filter(msg).lower():
                                self.filter_hits.add(msg.msgid)
                        for rw in self.words:
                            if rw.startswith("refs_only_filter=") and \
                                    rw[17:].encode("utf-8") not in search_filter(msg).lower():
                                self.refs_hidden.add(msg.msgid)
                        if self.pose:
                            dse = dse_request(msg)
                            if dse is not None:
                                self.dse_reqs[msg.msgid] = dse
                    elif msg.op == OP_EXT_REQUEST:
                        for t, vs, ve in children(msg.raw, msg.op_vs, msg.op_ve):
                            if t == 0x80 and msg.raw[vs:ve] == OID_STARTTLS:
                                self.starttls_id = msg.msgid
                                raw = True
                    out.append(piece)
                    if raw:
                        # What follows the StartTLS request is the TLS
                        # handshake: passed blind.
                        out.append(bytes(buf[pos:]))
                        pos = len(buf)
                        break
                self.up.sendall(b"".join(out))
                del buf[:pos]
            try:
                self.up.shutdown(socket.SHUT_WR)
            except OSError:
                pass
        except BerError as e:
            err("conn %d: client->server: %s; closing" % (self.cid, e))
            self.close()
        except OSError:
            self.close()

    # server -> client: where the lies are told.
    def s2c(self):
        buf = bytearray()
        raw = self.raw
        try:
            while True:
                data = self.up.recv(262144)
                if not data:
                    break
                if self.stalled:
                    continue
                if raw:
                    self.to_client(data)
                    continue
                buf += data
                out = []
                pos = 0
                cut = None
                while True:
                    end = frame(buf, pos)
                    if end is None:
                        break
                    piece = bytes(buf[pos:end])
                    pos = end
                    msg = Message(piece)
                    act = self.judge(msg)
                    if act is None:
                        continue
                    if act in ("drop_after", "stall_after"):
                        cut = act
                        break
                    out.append(act)
                    if (self.starttls_id is not None and msg.op == OP_EXT_RESPONSE
                            and msg.msgid == self.starttls_id):
                        raw = True
                        out.append(bytes(buf[pos:]))
                        pos = len(buf)
                        break
                if out:
                    self.to_client(b"".join(out))
                del buf[:pos]
                if cut == "drop_after":
                    self.close()
                    return
                if cut == "stall_after":
                    self.stalled = True
                    buf = bytearray()
            # The server closed: so do we, towards the client.
            self.close()
        except BerError as e:
            err("conn %d: server->client: %s; closing" % (self.cid, e))
            self.close()
        except OSError:
            self.close()

    def judge(self, msg):
        """The bytes to forward for msg, None to drop it, or the name of
        a count lie that cuts the connection here."""
        w = self.words
        op = msg.op
        req = self.requests.get(msg.msgid)
        is_sync = bool(req and req[0])
        silent = "report_nothing" in w and is_sync and req[1]
        if op == OP_SEARCH_ENTRY:
            if silent:
                self.dropped[msg.msgid] = self.dropped.get(msg.msgid, 0) + 1
                return None
            st = sync_state(msg) if msg.controls_range else None
            if st and st[0] == 3 and "drop_deletes" in w:
                self.log.lie("drop_deletes 1 %s %s" % (uuid_str(st[1]), entry_dn(msg)))
                return None
            if st and st[0] == 0 and "refresh_deletes_false" in w:
                self.log.lie("refresh_deletes_false entry %s" % entry_dn(msg))
                return None
            counts = ("sync_only" not in w) or is_sync
            if counts:
                for name in ("drop_after", "stall_after"):
                    n = self.counts.get(name)
                    if n is not None and self.forwarded >= n:
                        self.log.lie("%s %d" % (name, n))
                        return name
            out = msg.raw
            if st and st[0] in (1, 2) and "strip_operational" in w:
                op_tlv, removed = strip_entry(msg)
                if removed:
                    out = msg.rebuild(op_tlv=op_tlv)
                    self.log.lie("strip_operational %s %s"
                                 % (entry_dn(msg), ",".join(removed)))
            if self.pose and entry_dn(msg) == "":
                op_tlv = pose_root_dse(
                    msg, POSES[self.pose],
                    self.dse_reqs.get(msg.msgid))
                if op_tlv is not None:
                    out = msg.rebuild(op_tlv=op_tlv)
                    self.log.lie(self.pose)
            asked = self.member_reqs.get(msg.msgid)
            if asked is not None:
                m = msg if out is msg.raw else Message(out)
                op_tlv, label = range_entry(m, self.counts["range_member"], *asked)
                if op_tlv is not None:
                    out = m.rebuild(op_tlv=op_tlv)
                    self.log.lie("range_member %s %s" % (entry_dn(msg), label))
            if counts:
                self.forwarded += 1
            return out
        if op == OP_SEARCH_REF:
            if msg.msgid in self.refs_hidden:
                self.log.lie("refs_only_filter DN-less")
                return None
            if silent:
                self.dropped[msg.msgid] = self.dropped.get(msg.msgid, 0) + 1
                return None
            return msg.raw
        if op == OP_INTERMEDIATE:
            if silent:
                self.dropped[msg.msgid] = self.dropped.get(msg.msgid, 0) + 1
                return None
            if "refresh_deletes_false" not in w and "drop_deletes" not in w:
                return msg.raw
            info = sync_info(msg)
            if info is None:
                return msg.raw
            kind, deletes, uuids = info
            if kind == "syncIdSet" and deletes and "drop_deletes" in w:
                self.log.lie("drop_deletes %d %s" % (
                    len(uuids), " ".join(uuid_str(u) for u in uuids)))
                return None
            if "refresh_deletes_false" in w:
                if kind == "syncIdSet" and not deletes:
                    self.log.lie("refresh_deletes_false present %d" % len(uuids))
                    return None
                if kind == "refreshPresent":
                    self.log.lie("refresh_deletes_false marker refreshPresent")
                    return None
            return msg.raw
        if op == OP_SEARCH_DONE:
            self.requests.pop(msg.msgid, None)
            self.dse_reqs.pop(msg.msgid, None)
            self.member_reqs.pop(msg.msgid, None)
            self.refs_hidden.discard(msg.msgid)
            n = self.dropped.pop(msg.msgid, 0)
            if n:
                self.log.lie("report_nothing %d" % n)
            op_tlv = None
            controls = None
            hit = msg.msgid in self.filter_hits
            self.filter_hits.discard(msg.msgid)
            if self.result and (is_sync or "any_search" in w) and \
                    (self.result[2] is None or hit):
                code, url, _ = self.result
                op_tlv = rewrite_result(msg, code, url)
                self.log.lie("result %d" % code)
            if "refresh_deletes_false" in w:
                c = msg.control(OID_SYNC_DONE)
                if c is not None:
                    new = sync_done_false(c[2])
                    if new is not None:
                        c[2] = new
                        self.log.lie("refresh_deletes_false done")
                        controls = msg.get_controls()
            if op_tlv is None and controls is None:
                return msg.raw
            return msg.rebuild(op_tlv=op_tlv, controls=controls)
        return msg.raw


def main():
    ap = argparse.ArgumentParser(description="a lying LDAP proxy for tests")
    ap.add_argument("--upstream", required=True, help="HOST:PORT")
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--mode-file", required=True)
    ap.add_argument("--log", required=True)
    a = ap.parse_args()
    host, _, port = a.upstream.rpartition(":")
    upstream = (host.strip("[]") or "127.0.0.1", int(port))
    if not (upstream[0].startswith("127.") or upstream[0] in ("localhost", "::1")):
        ap.error("--upstream must be a loopback address, not %s" % upstream[0])
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    signal.signal(signal.SIGINT, lambda *_: os._exit(0))
    log = Log(a.log)

    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.bind(("127.0.0.1", 0))
    ls.listen(64)
    tmp = a.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % ls.getsockname()[1])
    os.rename(tmp, a.port_file)

    cid = 0
    while True:
        client, _ = ls.accept()
        cid += 1
        words, counts, result = read_mode(a.mode_file)
        try:
            up = socket.create_connection(upstream, timeout=10)
            up.settimeout(None)
        except OSError as e:
            err("conn %d: upstream %s:%d: %s" % (cid, upstream[0], upstream[1], e))
            client.close()
            continue
        for s in (client, up):
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        Conn(client, up, words, counts, result, log, cid).run()


if __name__ == "__main__":
    main()
