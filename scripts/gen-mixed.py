#!/usr/bin/env python3
"""Writes a mixed JSON / logfmt / text log corpus for throughput benchmarks.

Usage: scripts/gen-mixed.py OUT_FILE [MEGABYTES] [KIND]   (default 100 MB)

Deterministic: the seed is fixed, or taken from the SEED environment
variable (scripts/build-pgo.sh trains on another seed than the benchmark
measures). About 70% of lines are clean service logs
(timestamps, ids, paths, versions, durations); the rest carry the kinds of
personal, health and credential data logscrub removes. With KIND, every
line is of that one kind (clean_text, clean_json, clean_logfmt, or dirty0
to dirty5: a signup in JSON, a cycle log in JSON, a login with an e-mail
and an IP, a URL-encoded e-mail in a query, a logfmt payment with a card
and a password, a bearer JWT), to measure what each kind costs.
"""
import json
import os
import random
import sys

rng = random.Random(int(os.environ.get("SEED", "20261123")))
FIRST = ["Jane", "Søren", "Zofia", "Ahmed", "Maria", "Lars", "Anna", "Piotr", "Emma", "Jonas"]
LAST = ["Doe", "Hansen", "Wójcik", "Nielsen", "Kowalski", "Smith", "Jensen", "Nowak"]
SERVICES = ["checkout", "auth", "cycle-tracker", "sync", "billing", "push", "search"]
PATHS = ["/api/v1/cycles", "/api/v2/users/me", "/healthz", "/static/app.js", "/api/v1/symptoms", "/login"]
LEVELS = ["INFO", "INFO", "INFO", "DEBUG", "WARN", "ERROR"]


def ts():
    return "2026-11-%02dT%02d:%02d:%02d.%03dZ" % (
        rng.randint(1, 28), rng.randint(0, 23), rng.randint(0, 59), rng.randint(0, 59), rng.randint(0, 999))


def hexid(n):
    return "".join(rng.choice("0123456789abcdef") for _ in range(n))


def email():
    return "%s.%s%d@example.com" % (rng.choice(FIRST).lower(), rng.choice(LAST).lower(), rng.randint(1, 999))


def clean_text():
    return "%s %s [%s] %s %s %d %dms trace=%s pod=%s-7d9f8b6c5-%s version=1.%d.%d" % (
        ts(), rng.choice(LEVELS), rng.choice(SERVICES), rng.choice(["GET", "POST"]), rng.choice(PATHS),
        rng.choice([200, 200, 204, 301, 404, 500]), rng.randint(1, 900), hexid(32), rng.choice(SERVICES),
        hexid(5), rng.randint(0, 30), rng.randint(0, 9))


def clean_json():
    return json.dumps({"ts": ts(), "level": rng.choice(LEVELS), "service": rng.choice(SERVICES),
                       "trace_id": hexid(32), "span_id": hexid(16), "http": {"method": "GET", "path": rng.choice(PATHS),
                       "status": 200, "duration_ms": rng.randint(1, 900), "bytes": rng.randint(100, 90000)},
                       "msg": "request completed", "version": "2.%d.%d" % (rng.randint(0, 9), rng.randint(0, 9))},
                      separators=(",", ":"))


def clean_logfmt():
    return 'ts=%s level=%s service=%s msg="cache refreshed" keys=%d took=%dms build=%s' % (
        ts(), rng.choice(LEVELS).lower(), rng.choice(SERVICES), rng.randint(1, 5000), rng.randint(1, 90), hexid(12))


def dirty(k=None):
    if k is None:
        k = rng.randint(0, 5)
    if k == 0:
        return json.dumps({"ts": ts(), "level": "INFO", "event": "signup", "user": {"email": email(),
                           "firstName": rng.choice(FIRST), "lastName": rng.choice(LAST), "phone": "+45 %08d" % rng.randint(0, 10**8 - 1)},
                           "trace_id": hexid(32)}, ensure_ascii=False)
    if k == 1:
        return json.dumps({"ts": ts(), "event": "cycle.logged", "user_id": rng.randint(1, 10**6),
                           "period_start": "2026-10-%02d" % rng.randint(1, 28), "symptoms": ["cramps", "headache"],
                           "mood": "anxious", "basal_body_temperature": 36.4, "notes": "felt tired"})
    if k == 2:
        return "%s INFO auth login ok for %s from 192.168.%d.%d session_id=%s" % (
            ts(), email(), rng.randint(0, 255), rng.randint(1, 254), hexid(24))
    if k == 3:
        return '%s WARN http GET /reset?email=%s&token=%s 200' % (ts(), email().replace("@", "%40"), hexid(20))
    if k == 4:
        return 'ts=%s level=info msg="payment" card="4111 1111 1111 1111" amount=12.50 password=%s' % (ts(), hexid(10))
    return '%s ERROR api Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.%s' % (ts(), hexid(43))


KINDS = {"clean_text": clean_text, "clean_json": clean_json, "clean_logfmt": clean_logfmt}
KINDS.update({"dirty%d" % k: (lambda k=k: dirty(k)) for k in range(6)})


def main():
    out = sys.argv[1]
    target = int(float(sys.argv[2]) * 1e6) if len(sys.argv) > 2 else 100_000_000
    gens = [clean_text] * 3 + [clean_json] * 3 + [clean_logfmt]
    if len(sys.argv) > 3:
        if sys.argv[3] not in KINDS:
            sys.exit("unknown kind %r; one of: %s" % (sys.argv[3], ", ".join(KINDS)))
        gens = [KINDS[sys.argv[3]]]
    written = 0
    with open(out, "w", encoding="utf-8") as f:
        block = []
        while written < target:
            line = dirty() if len(gens) > 1 and rng.random() < 0.3 else rng.choice(gens)()
            block.append(line)
            written += len(line.encode()) + 1
            if len(block) >= 10000:
                f.write("\n".join(block) + "\n")
                block = []
        if block:
            f.write("\n".join(block) + "\n")


if __name__ == "__main__":
    main()
