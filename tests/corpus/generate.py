#!/usr/bin/env python3
"""Generates tests/corpus/labelled.jsonl: a labelled corpus of log lines.

Each output line is a JSON object:
  {"line": ..., "secrets": [...], "keep": [...], "category": ..., "format": ...}

`secrets` are exact substrings of `line` that must not survive scrubbing
(for encoded values both the encoded form found in the line and the decoded
value are listed); `keep` are harmless look-alikes (timestamps, versions,
trace ids, Luhn-failing order numbers...) that should survive.

Python 3.11 standard library only; deterministic (fixed seed).
Run: python3 tests/corpus/generate.py
"""

import json
import random
import string
import urllib.parse
from pathlib import Path

SEED = 20261124
R = random.Random(SEED)
OUT = Path(__file__).with_name("labelled.jsonl")

# ----------------------------------------------------------------------------
# Valid identifiers
# ----------------------------------------------------------------------------


def digits(n):
    return "".join(R.choice(string.digits) for _ in range(n))


def luhn_digit(payload):
    total = 0
    for i, ch in enumerate(reversed(payload)):
        d = int(ch)
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return str((10 - total % 10) % 10)


def luhn_ok(num):
    total = 0
    for i, ch in enumerate(reversed(num)):
        d = int(ch)
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


CARD_BRANDS = [
    # (brand, prefixes, lengths)
    ("visa", ["4"], [16, 16, 16, 13, 19]),
    ("mastercard", ["51", "52", "53", "54", "55", "2221", "2500", "2720"], [16]),
    ("amex", ["34", "37"], [15]),
    ("discover", ["6011", "65", "644", "649"], [16, 19]),
    ("jcb", ["3528", "3530", "3566", "3589"], [16]),
    ("diners", ["36", "38", "300", "305"], [14]),
    ("unionpay", ["62"], [16, 17, 18, 19]),
    ("maestro", ["5018", "5020", "5038", "6304", "6759"], [13, 16, 19]),
]


def card():
    brand, prefixes, lengths = R.choice(CARD_BRANDS)
    p = R.choice(prefixes)
    n = R.choice(lengths)
    body = p + digits(n - len(p) - 1)
    num = body + luhn_digit(body)
    fmt = R.random()
    if n == 16 and fmt < 0.35:
        sep = R.choice([" ", "-"])
        return brand, sep.join(num[i : i + 4] for i in range(0, 16, 4))
    if brand == "amex" and fmt < 0.5:
        sep = R.choice([" ", "-"])
        return brand, f"{num[:4]}{sep}{num[4:10]}{sep}{num[10:]}"
    if brand == "diners" and n == 14 and fmt < 0.5:
        return brand, f"{num[:4]} {num[4:10]} {num[10:]}"
    return brand, num


def order_number():
    """16 digits starting like a Visa/Mastercard but failing Luhn."""
    while True:
        n = R.choice("45") + digits(15)
        if not luhn_ok(n):
            return n


IBAN_COUNTRIES = {
    "DE": 22, "DK": 18, "PL": 28, "GB": 22, "NL": 18, "FR": 27, "SE": 24,
    "NO": 15, "FI": 18, "ES": 24, "IT": 27, "BE": 16, "AT": 20, "CH": 21,
    "IE": 22, "PT": 25, "LU": 20, "CZ": 24, "SK": 24, "HU": 28, "RO": 24,
    "BG": 22, "HR": 21, "SI": 19, "LT": 20, "LV": 21, "EE": 20, "GR": 27,
    "CY": 28, "MT": 31, "IS": 26, "LI": 21, "MC": 27, "SM": 27, "GI": 23,
    "FO": 18, "GL": 18, "TR": 26, "SA": 24, "AE": 23, "IL": 23, "QA": 29,
    "KW": 30, "BH": 22, "JO": 30, "LB": 28, "BR": 29, "UA": 29, "GE": 22,
    "AZ": 28, "KZ": 20, "MU": 30, "TN": 24, "EG": 29, "LC": 32, "RU": 33,
}
LETTER_BANK = {"GB": 4, "NL": 4, "IE": 4, "BG": 4, "GI": 4, "MT": 4, "LV": 4, "RO": 4, "QA": 4, "KW": 4, "BH": 4, "JO": 4, "AZ": 4}


def iban_check(cc, bban):
    rearranged = bban + cc + "00"
    numeric = "".join(str(int(c, 36)) for c in rearranged)
    return "%02d" % (98 - int(numeric) % 97)


def iban():
    cc = R.choice(list(IBAN_COUNTRIES))
    n = IBAN_COUNTRIES[cc] - 4
    letters = LETTER_BANK.get(cc, 0)
    bban = "".join(R.choice(string.ascii_uppercase) for _ in range(letters)) + digits(n - letters)
    value = cc + iban_check(cc, bban) + bban
    if R.random() < 0.4:
        value = " ".join(value[i : i + 4] for i in range(0, len(value), 4))
    return value


def days_in(y, m):
    if m == 2:
        return 29 if (y % 4 == 0 and y % 100 != 0) or y % 400 == 0 else 28
    return 30 if m in (4, 6, 9, 11) else 31


def rand_date(y0=1940, y1=2005):
    y = R.randint(y0, y1)
    m = R.randint(1, 12)
    d = R.randint(1, min(28, days_in(y, m)))
    return y, m, d


def pesel():
    y, m, d = rand_date(1940, 2012)
    mm = m + (20 if y >= 2000 else 0)
    base = "%02d%02d%02d" % (y % 100, mm, d) + digits(4)
    w = [1, 3, 7, 9, 1, 3, 7, 9, 1, 3]
    s = sum(int(c) * wi for c, wi in zip(base, w))
    return base + str((10 - s % 10) % 10)


def cpr(dash=True):
    y, m, d = rand_date(1940, 1999)
    seq = str(R.randint(0, 3)) + digits(3)
    core = "%02d%02d%02d" % (d, m, y % 100)
    return f"{core}-{seq}" if dash else core + seq


def ssn():
    while True:
        area = R.randint(1, 899)
        if area != 666:
            break
    return "%03d-%02d-%04d" % (area, R.randint(1, 99), R.randint(1, 9999))


def nino():
    bad = set("DFIQUV")
    first = [c for c in string.ascii_uppercase if c not in bad]
    second = [c for c in first if c != "O"]
    while True:
        p = R.choice(first) + R.choice(second)
        if p not in {"BG", "GB", "KN", "NK", "NT", "TN", "ZZ"}:
            break
    num = digits(6)
    suffix = R.choice("ABCD")
    if R.random() < 0.5:
        return f"{p} {num[:2]} {num[2:4]} {num[4:]} {suffix}"
    return p + num + suffix


def de_taxid(spaced=None):
    while True:
        digs = R.sample(range(10), 9)
        rep = R.choice(digs)
        ten = digs + [rep]
        R.shuffle(ten)
        if ten[0] == 0:
            continue
        product = 10
        for x in ten:
            s = (x + product) % 10
            if s == 0:
                s = 10
            product = (s * 2) % 11
        check = (11 - product) % 10
        v = "".join(map(str, ten)) + str(check)
        if spaced:
            return f"{v[:2]} {v[2:5]} {v[5:8]} {v[8:]}"
        return v


def bsn():
    while True:
        d = [R.randint(0, 9) for _ in range(8)]
        s = sum((9 - i) * x for i, x in enumerate(d))
        last = s % 11
        if last < 10 and d[0] != 0:
            return "".join(map(str, d)) + str(last)


def se_pnr(long=True):
    y, m, d = rand_date(1940, 2005)
    base = "%02d%02d%02d" % (y % 100, m, d) + digits(3)
    ten = base + luhn_digit(base)
    if long:
        return f"{y // 100}{ten[:6]}-{ten[6:]}"
    return f"{ten[:6]}-{ten[6:]}"


def nir():
    sex = R.choice("12")
    y, m, d = rand_date(1940, 2005)
    dept = "%02d" % R.randint(1, 95)
    body = sex + "%02d%02d" % (y % 100, m) + dept + "%03d" % R.randint(1, 999) + "%03d" % R.randint(1, 999)
    key = "%02d" % (97 - int(body) % 97)
    if R.random() < 0.5:
        return f"{body[0]} {body[1:3]} {body[3:5]} {body[5:7]} {body[7:10]} {body[10:13]} {key}"
    return body + key


# ----------------------------------------------------------------------------
# People, places, contact
# ----------------------------------------------------------------------------

NAMES = {
    "da": (["Søren", "Mette", "Jørgen", "Ane", "Bjørn", "Kirsten", "Ærøs", "Åse", "Niels", "Signe"],
           ["Hansen", "Ærøskøbing", "Jørgensen", "Møller", "Sørensen", "Kjærgaard", "Østergaard", "Nielsen", "Bøgh"]),
    "pl": (["Zofia", "Łukasz", "Małgorzata", "Paweł", "Agnieszka", "Żaneta", "Grzegorz", "Wojciech", "Ewa"],
           ["Wójcik", "Nowak", "Kowalski", "Wiśniewska", "Dąbrowski", "Łączyńska", "Zieliński", "Szymańska"]),
    "de": (["Jörg", "Anna", "Lukas", "Jürgen", "Marie", "Dieter", "Käthe"],
           ["Müller", "Schmidt", "Schäfer", "Weiß", "Groß", "Müller-Lüdenscheidt", "Hoffmann"]),
    "fr": (["Amélie", "François", "Hélène", "Jérôme", "Camille", "Loïc"],
           ["Dubois", "Lefèvre", "Girard", "Bonnet", "Rousseau", "Mercier"]),
    "nl": (["Sanne", "Daan", "Fleur", "Bram", "Anouk"],
           ["Jansen", "Bakker", "Visser", "Smit", "Meijer", "Dekker"]),
    "sv": (["Åsa", "Björn", "Linnéa", "Oskar", "Märta"],
           ["Andersson", "Lindström", "Åkesson", "Öberg", "Karlsson"]),
    "en": (["John", "Emily", "Oliver", "Grace", "Harry", "Chloe"],
           ["Smith", "Johnson", "Williams", "O'Brien", "Taylor", "Brown"]),
}
LOCALES = list(NAMES)


def person(loc=None):
    loc = loc or R.choice(LOCALES)
    first, last = NAMES[loc]
    f, l = R.choice(first), R.choice(last)
    if loc == "en" and "'" in l:
        l = "Taylor"
    return loc, f, l


def ascii_slug(s):
    table = str.maketrans({"ø": "o", "æ": "ae", "å": "a", "Ø": "O", "Æ": "Ae", "Å": "A", "ó": "o", "ł": "l", "Ł": "L",
                           "ś": "s", "ą": "a", "ę": "e", "ż": "z", "Ż": "Z", "ń": "n", "ö": "o", "ü": "u", "ä": "a",
                           "ß": "ss", "é": "e", "è": "e", "ç": "c", "ô": "o", "ï": "i", "ê": "e", "'": ""})
    return s.translate(table).lower()


DOMAINS = ["example.com", "firma.dk", "poczta.pl", "beispiel.de", "exemple.fr", "voorbeeld.nl", "exempel.se", "mail.example.co.uk"]


def email():
    _, f, l = person()
    local = R.choice([f"{ascii_slug(f)}.{ascii_slug(l)}", f"{ascii_slug(f)}{R.randint(1, 99)}", f"{ascii_slug(f)}+news", f"{ascii_slug(l)}_{ascii_slug(f)[0]}"])
    return f"{local}@{R.choice(DOMAINS)}"


def phone_intl():
    c = R.choice(["us", "uk", "dk", "pl", "de", "fr", "nl", "se"])
    if c == "us":
        a, b, n = R.randint(201, 989), R.randint(200, 999), digits(4)
        return R.choice([f"+1 {a} {b} {n}", f"+1 ({a}) {b}-{n}", f"+1{a}{b}{n}", f"+1-{a}-{b}-{n}"])
    if c == "uk":
        return R.choice([f"+44 20 {digits(4)} {digits(4)}", f"+44 7{digits(3)} {digits(6)}", f"+447{digits(9)}", f"+44 (0)20 {digits(4)} {digits(4)}"])
    if c == "dk":
        d = str(R.randint(2, 9)) + digits(7)
        return R.choice([f"+45 {d[:2]} {d[2:4]} {d[4:6]} {d[6:]}", f"+45{d}", f"+45 {d[:4]} {d[4:]}"])
    if c == "pl":
        d = R.choice("5678") + digits(8)
        return R.choice([f"+48 {d[:3]} {d[3:6]} {d[6:]}", f"+48{d}", f"+48 {d[:3]}-{d[3:6]}-{d[6:]}"])
    if c == "de":
        return R.choice([f"+49 30 {digits(8)}", f"+49 170 {digits(7)}", f"+4989{digits(7)}", f"+49 (0)89 {digits(6)}"])
    if c == "fr":
        d = R.choice("1267") + digits(8)
        return R.choice([f"+33 {d[0]} {d[1:3]} {d[3:5]} {d[5:7]} {d[7:]}", f"+33{d}"])
    if c == "nl":
        return R.choice([f"+31 6 {digits(8)}", f"+31 20 {digits(3)} {digits(4)}", f"+316{digits(8)}"])
    return R.choice([f"+46 70 {digits(3)} {digits(2)} {digits(2)}", f"+46 8 {digits(3)} {digits(3)} {digits(2)}", f"+4670{digits(7)}"])


# (context word, national number) per country
def phone_national():
    c = R.choice(["us", "uk", "dk", "pl", "de", "fr", "nl", "se"])
    if c == "us":
        a, b, n = R.randint(201, 989), R.randint(200, 999), digits(4)
        return R.choice(["phone", "Phone:", "tel", "cell"]), R.choice([f"({a}) {b}-{n}", f"{a}-{b}-{n}", f"{a}.{b}.{n}"])
    if c == "uk":
        return R.choice(["tel", "Tel:", "mobile", "phone"]), R.choice([f"020 {digits(4)} {digits(4)}", f"07{digits(3)} {digits(6)}", f"01632 {digits(6)}"])
    if c == "dk":
        d = str(R.randint(2, 9)) + digits(7)
        return R.choice(["tlf", "Tlf.", "telefon", "mobil", "tlf.nr."]), R.choice([f"{d[:2]} {d[2:4]} {d[4:6]} {d[6:]}", d])
    if c == "pl":
        d = R.choice("5678") + digits(8)
        return R.choice(["komórka", "tel.", "telefon", "nr tel."]), R.choice([f"{d[:3]} {d[3:6]} {d[6:]}", f"{d[:3]}-{d[3:6]}-{d[6:]}", d])
    if c == "de":
        return R.choice(["Handy", "Tel.", "Telefon", "Handy:"]), R.choice([f"030 {digits(8)}", f"0170 {digits(7)}", f"089/{digits(7)}"])
    if c == "fr":
        d = R.choice("1267") + digits(8)
        return R.choice(["portable", "tél.", "téléphone", "tel"]), R.choice([f"0{d[0]} {d[1:3]} {d[3:5]} {d[5:7]} {d[7:]}", f"0{d[0]}.{d[1:3]}.{d[3:5]}.{d[5:7]}.{d[7:]}"])
    if c == "nl":
        return R.choice(["mobiel", "tel", "telefoon"]), R.choice([f"06-{digits(8)}", f"020-{digits(7)}", f"06 {digits(2)} {digits(2)} {digits(2)} {digits(2)}"])
    return R.choice(["mobil", "tel", "telefon"]), R.choice([f"070-{digits(3)} {digits(2)} {digits(2)}", f"08-{digits(3)} {digits(3)} {digits(2)}"])


def ipv4():
    while True:
        a = R.choice([10, 172, 192, 81, 85, 91, 212, 203, 46, 62, 94, 141])
        v = f"{a}.{R.randint(0, 255)}.{R.randint(0, 255)}.{R.randint(1, 254)}"
        return v


def ipv6():
    groups = ["%x" % R.randint(1, 0xFFFF) for _ in range(8)]
    form = R.randint(0, 5)
    if form == 0:
        return ":".join(groups)
    if form == 1:
        return "2001:db8::" + ":".join(groups[:R.randint(1, 4)])
    if form == 2:
        return "fe80::" + ":".join(groups[:4])
    if form == 3:
        return "::ffff:" + ipv4()
    if form == 4:
        return f"2a02:{groups[1]}:{groups[2]}::{groups[3]}"
    return ":".join("%04x" % R.randint(0, 0xFFFF) for _ in range(8))


def mac():
    sep = R.choice([":", "-"])
    return sep.join("%02x" % R.randint(0, 255) for _ in range(6)).upper() if R.random() < 0.3 else sep.join("%02x" % R.randint(0, 255) for _ in range(6))


def latlon():
    lat = R.uniform(-60, 70)
    lon = R.uniform(-170, 170)
    return f"{lat:.{R.randint(4, 6)}f}", f"{lon:.{R.randint(4, 6)}f}"


STREETS = ["Ærøskøbing Vej", "Nørrebrogade", "ul. Marszałkowska", "Hauptstraße", "rue de Rivoli", "Keizersgracht", "Drottninggatan", "Baker Street", "Søndergade", "ul. Długa"]
CITIES = ["Ærøskøbing", "København", "Kraków", "Łódź", "München", "Lyon", "Utrecht", "Göteborg", "Manchester", "Aarhus"]

# ----------------------------------------------------------------------------
# Credentials
# ----------------------------------------------------------------------------

ALNUM = string.ascii_letters + string.digits


def rs(n, alphabet=ALNUM):
    return "".join(R.choice(alphabet) for _ in range(n))


def b64url(n):
    return rs(n, ALNUM + "-_")


def jwt():
    header = R.choice(["eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9", "eyJhbGciOiJSUzI1NiIsImtpZCI6IjEifQ", "eyJ0eXAiOiJKV1QiLCJhbGciOiJFUzI1NiJ9"])
    return f"{header}.eyJ{b64url(R.randint(30, 80))}.{b64url(43)}"


def credential():
    kind = R.randint(0, 17)
    hexd = "0123456789abcdef"
    return [
        lambda: ("aws", "AKIA" + rs(16, string.ascii_uppercase + string.digits)),
        lambda: ("aws_sts", "ASIA" + rs(16, string.ascii_uppercase + string.digits)),
        lambda: ("github", R.choice(["ghp_", "gho_", "ghu_", "ghs_", "ghr_"]) + rs(36)),
        lambda: ("github_pat", "github_pat_" + rs(22) + "_" + rs(59)),
        lambda: ("gitlab", "glpat-" + rs(20, ALNUM + "-_")),
        lambda: ("slack", R.choice(["xoxb-", "xoxp-"]) + digits(12) + "-" + digits(13) + "-" + rs(24)),
        lambda: ("stripe", R.choice(["sk_live_", "rk_live_", "sk_test_"]) + rs(24)),
        lambda: ("google", "AIza" + rs(35, ALNUM + "-_")),
        lambda: ("npm", "npm_" + rs(36)),
        lambda: ("pypi", "pypi-AgEIcHlwaS5vcmc" + b64url(60)),
        lambda: ("sendgrid", "SG." + b64url(22) + "." + b64url(43)),
        lambda: ("twilio", "SK" + rs(32, hexd)),
        lambda: ("openai", R.choice(["sk-", "sk-proj-"]) + rs(48)),
        lambda: ("shopify", "shpat_" + rs(32, hexd)),
        lambda: ("digitalocean", "dop_v1_" + rs(64, hexd)),
        lambda: ("jwt", jwt()),
        lambda: ("slack_app", "xapp-1-A" + rs(10, string.ascii_uppercase + string.digits) + "-" + digits(13) + "-" + rs(64, hexd)),
        lambda: ("hf", "hf_" + rs(34)),
    ][kind]()


def password():
    return rs(R.randint(8, 16), ALNUM + "!#%*_-") + R.choice("!#%*") + str(R.randint(10, 99))


# ----------------------------------------------------------------------------
# Harmless look-alikes
# ----------------------------------------------------------------------------


def iso_ts():
    return "2025-%02d-%02dT%02d:%02d:%02d.%03dZ" % (R.randint(1, 12), R.randint(1, 28), R.randint(0, 23), R.randint(0, 59), R.randint(0, 59), R.randint(0, 999))


def syslog_ts():
    return "%s %2d %02d:%02d:%02d" % (R.choice(["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]), R.randint(1, 28), R.randint(0, 23), R.randint(0, 59), R.randint(0, 59))


def hexid(n):
    return "".join(R.choice("0123456789abcdef") for _ in range(n))


def uuid():
    h = hexid(32)
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:]}"


def pod():
    return f"{R.choice(['web', 'api', 'checkout', 'worker', 'cycle-sync'])}-{hexid(9)}-{rs(5, string.ascii_lowercase + string.digits)}"


def version4():
    return f"{R.randint(1, 20)}.{R.randint(0, 9)}.{R.randint(0, 30)}.{R.randint(0, 999)}"


def semver():
    return f"v{R.randint(0, 9)}.{R.randint(0, 30)}.{R.randint(0, 99)}"


PATHS = ["/var/log/nginx/access.log", "/etc/logscrub/rules.d/custom.toml", "/srv/app/releases/20250314/bin/server", "C:\\ProgramData\\App\\logs\\app.log", "/home/deploy/.cache/pip", "/api/v2/cycles/sync"]


def lookalikes(k=3, fmt="text"):
    """Text fragments (with keep values) that no rule may touch."""
    pool = [
        lambda: (f"took {R.randint(1, 9999)}ms", None),
        lambda: (f"status={R.choice([200, 201, 204, 301, 400, 401, 403, 404, 429, 500, 503])}", None),
        lambda: (f"bytes={R.randint(100, 99999999)}", None),
        lambda: (f"version {version4()}", None),
        lambda: (f"build {version4()}", None),
        lambda: (f"app={semver()}", None),
        lambda: (f"order {order_number()}", None),
        lambda: (f"commit {hexid(40)}", None),
        lambda: (f"pod {pod()}", None),
        lambda: (f"port {R.choice([22, 80, 443, 5432, 6379, 8080, 8443, 9092])}", None),
        lambda: (f"file {R.choice(PATHS)}", None),
        lambda: (f"country={R.choice(['DK', 'PL', 'DE', 'FR', 'NL', 'SE', 'GB', 'US'])}", None),
        lambda: (f"at {iso_ts()}", None),
        lambda: (f"elapsed {R.randint(0, 23):02d}:{R.randint(0, 59):02d}:{R.randint(0, 59):02d}.{R.randint(0, 999):03d}", None),
        lambda: (f"trace_id={hexid(32)}", None),
        lambda: (f"span_id={hexid(16)}", None),
        lambda: (f"request_id={uuid()}", None),
        lambda: (f"retry {R.randint(1, 5)}/{R.randint(5, 9)}", None),
        lambda: (f"ratio={R.random():.3f}", None),
        lambda: (f"job {uuid()}", None),
        lambda: (f"epoch {R.randint(1500000000, 1800000000)}", None),
        lambda: (f"epoch_ms={R.randint(1500000000000, 1800000000000)}", None),
        lambda: (f'"GET /static/app.{hexid(8)}.js HTTP/1.1" {R.choice([200, 304, 404])} {R.randint(100, 999999)}', None),
        lambda: (f"uptime {R.randint(1, 99)}h{R.randint(0, 59)}m{R.randint(0, 59)}s", None),
        lambda: (f"ptr 0x{hexid(12)}", None),
        lambda: (f"image nginx:{R.randint(1, 2)}.{R.randint(10, 27)}.{R.randint(0, 9)}", None),
        lambda: (f"digest sha256:{hexid(64)}", None),
        lambda: (f"short_sha={hexid(7)}", None),
        lambda: (f"ua Chrome/{R.randint(100, 131)}.0.0.0", None),
        lambda: (f"kernel {R.randint(4, 6)}.{R.randint(0, 19)}.{R.randint(0, 200)}-{R.randint(1, 99)}-generic", None),
        lambda: (f"blk_{R.choice(['', '-'])}{R.randint(10**17, 10**19 - 1)}", None),
        lambda: (f"date {R.randint(2019, 2025)}.{R.randint(1, 12):02d}.{R.randint(1, 28):02d}", None),
        lambda: (f"[{R.choice(['Sun', 'Mon', 'Tue'])} Dec {R.randint(1, 28):02d} {R.randint(0, 23):02d}:{R.randint(0, 59):02d}:{R.randint(0, 59):02d} 2005]", None),
        lambda: (f"ref {R.randint(10**10, 10**11 - 1)}", None),
        lambda: (f"host api-{R.randint(1, 9)}.eu-west-1.internal:{R.choice([8080, 9090, 443])}", None),
        lambda: (f"lang={R.choice(['da-DK', 'pl-PL', 'de-DE', 'fr-FR', 'nl-NL', 'sv-SE', 'en-GB'])}", None),
        lambda: (f"level={R.choice(['INFO', 'WARN', 'ERROR', 'DEBUG', 'TRACE'])}", None),
        lambda: (f"pid {R.randint(100, 99999)}", None),
        lambda: (f"mem={R.randint(1, 64)}GiB", None),
    ]
    out = []
    for f in R.sample(pool, k):
        frag, _ = f()
        out.append(frag)
    return out


def json_lookalikes(k=3):
    pool = [
        lambda: ("trace_id", hexid(32)),
        lambda: ("span_id", hexid(16)),
        lambda: ("request_id", uuid()),
        lambda: ("version", version4()),
        lambda: ("app_version", semver()),
        lambda: ("order_no", order_number()),
        lambda: ("commit", hexid(40)),
        lambda: ("pod", pod()),
        lambda: ("duration_ms", R.randint(1, 99999)),
        lambda: ("status", R.choice([200, 204, 404, 500])),
        lambda: ("bytes", R.randint(100, 99999999)),
        lambda: ("path", R.choice(PATHS)),
        lambda: ("ts", iso_ts()),
        lambda: ("port", R.choice([443, 8080, 5432])),
        lambda: ("level", R.choice(["info", "warn", "error", "debug"])),
        lambda: ("country", R.choice(["DK", "PL", "DE"])),
        lambda: ("correlation_id", str(R.choice([4, 5])) + digits(15)),
        lambda: ("job_id", uuid()),
        lambda: ("hostname", f"web-{R.randint(1, 40)}.prod.internal"),
        lambda: ("service_name", R.choice(["cycle-sync", "checkout-api"])),
        lambda: ("file_name", R.choice(["export_2025_03.csv", "report.pdf"])),
        lambda: ("elapsed", f"{R.randint(0, 23):02d}:{R.randint(0, 59):02d}:{R.randint(0, 59):02d}"),
        lambda: ("epoch_ms", R.randint(1500000000000, 1800000000000)),
        lambda: ("invoice_no", R.randint(10**10, 10**11 - 1)),
        lambda: ("build_version", version4()),
        lambda: ("image", f"registry.example.com/app:{semver()}"),
    ]
    return [f() for f in R.sample(pool, k)]


def jenc(v):
    """The form a value takes inside a JSON document."""
    return json.dumps(str(v))[1:-1]


def keep_values_text(frags):
    return list(frags)


def keep_values_json(pairs):
    return [str(v) for _, v in pairs if len(str(v)) >= 5]


# ----------------------------------------------------------------------------
# Line builders
# ----------------------------------------------------------------------------

LEVELS = ["INFO", "WARN", "ERROR", "DEBUG"]
SERVICES = ["auth", "checkout", "cycle-sync", "billing", "profile", "notify", "gateway"]


def text_prefix():
    if R.random() < 0.5:
        return f"{iso_ts()} {R.choice(LEVELS)} [{R.choice(SERVICES)}]"
    return f"{syslog_ts()} {R.choice(['web-1', 'app-03', 'db-2'])} {R.choice(SERVICES)}[{R.randint(100, 65000)}]:"


def json_escape_at(s):
    return s.replace("@", "\\u0040")


records = []


def add(line, secrets, keep, category, fmt):
    # Decoded forms of encoded secrets need not occur in the line itself.
    assert not secrets or any(s in line for s in secrets), (secrets, line)
    for k in keep:
        assert k in line, (k, line)
    records.append({"line": line, "secrets": sorted(set(secrets)), "keep": keep, "category": category, "format": fmt})


def emit(category, fmt, kv, text_templates, extra_json=None):
    """Generic emitter.

    kv: list of (key, value, secret_forms) for json/logfmt.
    text_templates: callable -> (line_body, secrets) for text.
    """


def json_line(fields, secrets, category, nest=None, embed=False, ascii_only=False):
    la = json_lookalikes(R.randint(2, 4))
    doc = {"ts": iso_ts(), "level": R.choice(["info", "warn"]), "service": R.choice(SERVICES)}
    for k, v in la:
        doc[k] = v
    payload = dict(fields)
    if nest:
        for n in reversed(nest):
            payload = {n: payload}
    if embed:
        doc["msg"] = "event"
        doc["body"] = json.dumps(payload, ensure_ascii=ascii_only)
    else:
        doc.update(payload)
    line = json.dumps(doc, ensure_ascii=ascii_only)
    forms = []
    for s in secrets:
        enc = json.dumps(s, ensure_ascii=ascii_only)[1:-1]
        if embed:
            enc = json.dumps(enc, ensure_ascii=ascii_only)[1:-1]
        forms.append(enc)
        if enc != s:
            forms.append(s)
    keep = [jenc(v) for k, v in la if len(str(v)) >= 5 and jenc(v) in line]
    add(line, [f for f in forms if f in line] or forms, keep, category, "json")


def logfmt_quote(v):
    v = str(v)
    if any(c in v for c in ' "=') or not v:
        return '"' + v.replace('"', '\\"') + '"'
    return v


def logfmt_line(fields, secrets, category):
    frags = lookalikes(R.randint(2, 3))
    parts = [f"ts={iso_ts()}", f"level={R.choice(['info', 'warn', 'error'])}", f"svc={R.choice(SERVICES)}"]
    parts += [f"{k}={logfmt_quote(v)}" for k, v in fields]
    parts.append(f'msg="{R.choice(["saved", "request done", "sync ok", "user updated"])}"')
    keeps = []
    for fr in frags:
        fr2 = fr.replace(" ", "=", 1) if " " in fr and "=" not in fr else fr
        parts.append(fr2)
        keeps.append(fr2)
    R.shuffle(parts[3:])
    line = " ".join(parts)
    add(line, secrets, keeps, category, "logfmt")


def text_line(body, secrets, category):
    frags = lookalikes(R.randint(1, 3))
    line = f"{text_prefix()} {body} ({', '.join(frags)})"
    add(line, secrets, frags, category, "text")


# ----------------------------------------------------------------------------
# Categories
# ----------------------------------------------------------------------------


def gen_email(n):
    for _ in range(n):
        e = email()
        r = R.random()
        if r < 0.3:
            text_line(R.choice([f"login ok for {e}", f"sending receipt to <{e}>", f"user {e} requested password reset", f"bounce from {e}: mailbox full", f"Email: {e} verified"]), [e], "email")
        elif r < 0.45:
            enc = urllib.parse.quote(e, safe="")
            text_line(f'"GET /api/v1/reset?email={enc}&lang=da HTTP/1.1" 200', [enc, e], "email")
        elif r < 0.6:
            logfmt_line([("user_email", e), ("action", "signup")], [e], "email")
        elif r < 0.75:
            json_line({"user": {"contact": {"email": e}}, "event": "profile.update"}, [e], "email")
        elif r < 0.85:
            esc = json_escape_at(e)
            line = json.dumps({"ts": iso_ts(), "msg": "notify", "to": "X"}).replace('"X"', '"' + esc + '"')
            tid = hexid(32)
            line = line[:-1] + f', "trace_id": "{tid}"}}'
            add(line, [esc, e], [tid], "email", "json")
        elif r < 0.93:
            json_line({"recipients": [e, email()], "template": "welcome"}, [e], "email", embed=False)
        elif r < 0.97:
            json_line({"event": "mail.sent", "to": e}, [e], "email", embed=True)
        else:
            enc = urllib.parse.quote(e, safe="")
            json_line({"http": {"url": f"/unsubscribe?email={enc}&list=news"}}, [enc], "email")


def gen_phone(n):
    for _ in range(n):
        r = R.random()
        if r < 0.3:
            p = phone_intl()
            text_line(R.choice([f"SMS code sent to {p}", f"call back {p} requested", f"kontakt {p} i dag", f"zadzwoń {p} jutro", f"rufen Sie {p} an"]), [p], "phone")
        elif r < 0.55:
            w, p = phone_national()
            text_line(f"{w} {p} saved for profile", [p], "phone")
        elif r < 0.7:
            p = phone_intl()
            logfmt_line([("phone", p), ("verified", "false")], [p], "phone")
        elif r < 0.85:
            _, p = phone_national()
            json_line({"customer": {"phone": p, "tier": "gold"}}, [p], "phone")
        elif r < 0.93:
            p = phone_intl()
            json_line({"sms": {"msisdn": p, "status": "queued"}}, [p], "phone", embed=R.random() < 0.4)
        else:
            p = phone_intl()
            enc = urllib.parse.quote(p, safe="")
            text_line(f'"POST /api/v1/otp?phone={enc}&channel=sms HTTP/1.1" 202', [enc], "phone")


def gen_ip(n):
    for _ in range(n):
        r = R.random()
        ip = ipv4() if R.random() < 0.6 else ipv6()
        if r < 0.4:
            text_line(R.choice([f"Accepted publickey for deploy from {ip} port 51022 ssh2", f"client {ip} blocked after 5 attempts", f"GET /health from {ip}", f"connection from [{ip}]:443 closed"]), [ip], "ip")
        elif r < 0.6:
            logfmt_line([("client", ip), ("method", "POST")], [ip], "ip")
        elif r < 0.8:
            json_line({"http": {"remote_addr": ip, "method": "GET"}}, [ip], "ip")
        else:
            json_line({"peer": ip, "tls": True}, [ip], "ip")


def gen_mac(n):
    for _ in range(n):
        m = mac()
        r = R.random()
        if r < 0.5:
            text_line(f"DHCPACK on 10.0.0.{R.randint(2, 250)} to {m} via eth0", [m, ], "mac")
            records[-1]["secrets"] = [m] + [s for s in records[-1]["secrets"] if s != m]
        elif r < 0.75:
            logfmt_line([("wifi_bssid", m), ("rssi", "-61")], [m], "mac")
        else:
            json_line({"device": {"mac": m}}, [m], "mac")


def gen_geo(n):
    for _ in range(n):
        lat, lon = latlon()
        r = R.random()
        if r < 0.35:
            text_line(f"position update {lat},{lon} accuracy 12m", [f"{lat},{lon}"], "geo")
        elif r < 0.5:
            text_line(f"geo fix at {lat}, {lon}", [f"{lat}, {lon}"], "geo")
        elif r < 0.75:
            json_line({"location": {"lat": float(lat), "lon": float(lon)}}, [lat, lon], "geo")
        else:
            logfmt_line([("latitude", lat), ("longitude", lon)], [lat, lon], "geo")


def gen_card(n):
    for _ in range(n):
        brand, c = card()
        r = R.random()
        if r < 0.35:
            text_line(R.choice([f"charge {brand} card {c} approved", f"payment failed for card {c}", f"tokenizing PAN {c}"]), [c], "card")
        elif r < 0.55:
            logfmt_line([("card", c), ("brand", brand)], [c], "card")
        elif r < 0.75:
            json_line({"payment": {"method": "card", "number": c}}, [c], "card")
        elif r < 0.9:
            json_line({"payment": {"cardNumber": c}}, [c], "card", embed=True)
        else:
            digits_only = c.replace(" ", "").replace("-", "")
            line = json.dumps({"ts": iso_ts(), "event": "auth", "amount": "X"}).replace('"X"', digits_only)
            add(line, [digits_only], [], "card", "json")


def gen_iban(n):
    for _ in range(n):
        v = iban()
        r = R.random()
        if r < 0.3:
            text_line(R.choice([f"payout to IBAN {v} scheduled", f"overførsel til {v} gennemført", f"przelew na konto {v} zlecony", f"SEPA mandate for {v} created"]), [v], "iban")
        elif r < 0.4:
            amount = R.randint(100, 9999)
            cur = R.choice(["PLN", "DKK", "EUR", "SEK"])
            text_line(R.choice([f"transfer to {v} {amount} {cur} SENT", f"przelew {v} {amount} {cur}", f"IBAN {v} SEPA DONE"]), [v], "iban")
        elif r < 0.6:
            logfmt_line([("payout_account", v), ("currency", "EUR")], [v], "iban")
        else:
            json_line({"payout": {"iban": v}} if R.random() < 0.5 else {"transfer": {"to": v, "amount": R.randint(1, 9999)}}, [v], "iban")


def gen_national(n):
    makers = [
        ("ssn", lambda: (ssn(), "SSN {v} on file", "ssn")),
        ("pesel", lambda: (pesel(), "PESEL {v} zweryfikowany", "pesel")),
        ("pesel2", lambda: (pesel(), "pacjent o numerze {v} zarejestrowany", "pesel")),
        ("cpr", lambda: (cpr(), "borger med CPR {v} oprettet", "cpr")),
        ("cpr2", lambda: (cpr(), "opslag {v} i folkeregister", "cpr")),
        ("cprc", lambda: (cpr(False), "CPR-nr. {v} opdateret", "cpr")),
        ("nino", lambda: (nino(), "NI number {v} checked", "nino")),
        ("detax", lambda: (de_taxid(True), "Steuer-IdNr {v} übermittelt", "steuer_id")),
        ("detax2", lambda: (de_taxid(False), "Steuer-ID: {v} gespeichert", "tax_id")),
        ("bsn", lambda: (bsn(), "BSN {v} geverifieerd", "bsn")),
        ("sepnr", lambda: (se_pnr(True), "kund {v} registrerad", "personnummer")),
        ("sepnr2", lambda: (se_pnr(False), "personnummer {v} saknar adress", "personnummer")),
        ("nir", lambda: (nir(), "NIR {v} enregistré", "nir")),
    ]
    for _ in range(n):
        _, mk = R.choice(makers)
        v, tmpl, key = mk()
        r = R.random()
        if r < 0.5:
            text_line(tmpl.format(v=v), [v], "national_id")
        elif r < 0.7:
            logfmt_line([(key, v), ("step", "kyc")], [v], "national_id")
        else:
            json_line({"citizen": {key: v, "verified": True}}, [v], "national_id", embed=R.random() < 0.3)


def gen_name(n):
    for _ in range(n):
        loc, f, l = person()
        full = f"{f} {l}"
        r = R.random()
        word = {"da": ["Navn:", "kunde", "patient", "bruger"], "pl": ["pacjent", "pacjentka", "użytkownik", "Imię i nazwisko:"],
                "de": ["Kunde", "Patient", "Benutzer", "Frau", "Herr"], "fr": ["client", "Madame", "Monsieur", "patient"],
                "nl": ["klant", "gebruiker", "meneer", "mevrouw"], "sv": ["kund", "användare", "patient", "Namn:"],
                "en": ["user", "patient", "customer", "Name:", "Dear"]}[loc]
        if r < 0.35:
            w = R.choice(word)
            if w in ("client", "klant", "bruger"):
                w = "patient"
            text_line(f"{w} {full} updated profile", [full], "name")
        elif r < 0.55:
            logfmt_line([("first_name", f), ("last_name", l)], [f"first_name={f}" if " " not in f else f, l], "name")
            recs = records[-1]
            recs["secrets"] = [s for s in recs["secrets"] if s != f] + [l]
        elif r < 0.7:
            logfmt_line([("full_name", full)], [full], "name")
        elif r < 0.9:
            json_line({"patient": {"firstName": f, "lastName": l, "displayName": full}}, [full, l], "name", ascii_only=R.random() < 0.3)
        else:
            json_line({"order": {"shipping": {"fullName": full}}}, [full], "name", embed=True)


def gen_address(n):
    for _ in range(n):
        street = f"{R.choice(STREETS)} {R.randint(1, 199)}"
        pc = R.choice([f"{R.randint(1000, 9999)}", f"{R.randint(10, 99)}-{R.randint(100, 999)}", f"{R.randint(10000, 99999)}", f"{R.randint(1000, 9999)} {R.choice(['AB', 'KL', 'XZ'])}"])
        city = R.choice(CITIES)
        r = R.random()
        if r < 0.2:
            kw = R.choice(["Adresse", "shipping address", "adres zamieszkania", "Anschrift", "adresse postale", "woonadres", "hjemadresse", "billing address"])
            text_line(f"{kw}: {street}, {pc} {city}", [street, pc, city], "address")
        elif r < 0.4:
            json_line({"shipping": {"street": street, "postalCode": pc, "city": city}}, [street, pc, city], "address", ascii_only=R.random() < 0.2)
        elif r < 0.7:
            logfmt_line([("address_line1", street), ("zip", pc)], [street, pc], "address")
        else:
            json_line({"customer": {"homeAddress": f"{street}, {pc} {city}"}}, [street], "address", embed=R.random() < 0.5)


def gen_birth(n):
    for _ in range(n):
        y, m, d = rand_date(1940, 2008)
        iso = "%04d-%02d-%02d" % (y, m, d)
        eu = "%02d.%02d.%04d" % (d, m, y)
        us = "%02d/%02d/%04d" % (m, d, y)
        r = R.random()
        if r < 0.3:
            v = R.choice([iso, eu, us])
            text_line(R.choice([f"patient born {v} admitted", f"DOB: {v} confirmed", f"født {v} i Odense", f"urodzona {v} w Krakowie", f"geboren am {v} in Köln", f"date of birth {v} updated"]), [v], "birth_date")
        elif r < 0.55:
            v = R.choice([iso, eu])
            logfmt_line([("dob", v), ("age_check", "passed")], [v], "birth_date")
        else:
            v = R.choice([iso, eu, us])
            json_line({"profile": {"dateOfBirth": v}} if R.random() < 0.5 else {"user": {"birthday": v}}, [v], "birth_date")


def gen_device(n):
    for _ in range(n):
        r = R.random()
        idfa = uuid().upper()
        gaid = uuid()
        aid = hexid(16)
        if r < 0.15:
            text_line(R.choice([f"registered IDFA {idfa} for campaign", f"android id {aid} seen", f"GAID: {gaid} opted out"]), [idfa if "IDFA" in idfa or True else idfa][:0] + [x for x in (idfa, aid, gaid) if x], "device_id")
            rec = records[-1]
            rec["secrets"] = [x for x in rec["secrets"] if x in rec["line"]]
        elif r < 0.35:
            json_line({"device": {"idfa": idfa, "os": "iOS 17.2"}}, [idfa], "device_id")
        elif r < 0.6:
            json_line({"ctx": {"advertisingId": gaid, "androidId": aid}}, [gaid, aid], "device_id", embed=R.random() < 0.3)
        elif r < 0.8:
            logfmt_line([("device_id", aid), ("platform", "android")], [aid], "device_id")
        else:
            logfmt_line([("gaid", gaid), ("idfv", uuid().upper())], [gaid], "device_id")


HEALTH_SYMPTOMS = ["cramps", "headache", "bloating", "tender breasts", "nausea", "acne", "backache", "kramper", "bóle brzucha", "Kopfschmerzen", "crampes", "hoofdpijn"]
MOODS = ["anxious", "irritable", "sad", "happy", "energetic", "træt", "smutna", "gereizt"]


def gen_health(n):
    for _ in range(n):
        y, m, d = rand_date(2023, 2024)
        start = "%04d-%02d-%02d" % (y, m, d)
        r = R.random()
        if r < 0.25:
            sym = R.sample(HEALTH_SYMPTOMS, 2)
            mood = R.choice(MOODS)
            json_line({"entry": {"periodStart": start, "symptoms": sym, "mood": mood}}, [start] + sym + [mood], "health")
        elif r < 0.4:
            bbt = f"{R.uniform(36.1, 37.4):.2f}"
            w = f"{R.uniform(48, 95):.1f}kg"
            logfmt_line([("bbt", bbt), ("weight", w), ("cycle_day", str(R.randint(1, 35)) + "d")], [bbt, w], "health")
        elif r < 0.55:
            note = R.choice(["felt dizzy after the pill", "spotting again, worried", "czuję się źle, skurcze", "ondt i maven hele dagen", "Bauchschmerzen seit gestern"])
            json_line({"diary": {"note": note, "private": True}}, [note], "health", embed=R.random() < 0.4, ascii_only=R.random() < 0.3)
        elif r < 0.7:
            act = R.choice(["protected", "unprotected", "none_logged"])
            contr = R.choice(["pill", "IUD", "condom", "ring", "none"])
            json_line({"log": {"sexualActivity": act, "contraception": contr + "-" + hexid(4)}}, [act, contr], "health")
            recs = records[-1]
            recs["secrets"] = [s for s in recs["secrets"] if s != contr]
        elif r < 0.85:
            due = "%04d-%02d-%02d" % (2025, R.randint(1, 12), R.randint(1, 28))
            ov = "%04d-%02d-%02d" % (y, m, min(28, d + 1))
            logfmt_line([("ovulation_date", ov), ("due_date", due), ("cycle_length", f"{R.randint(24, 34)}days")], [ov, due], "health")
        elif r < 0.92:
            sym = R.sample(HEALTH_SYMPTOMS, 2)
            kw = R.choice(["symptoms", "Symptoms", "symptomer", "objawy", "Symptome", "symptômes", "klachten"])
            text_line(f"entry saved {kw}: {sym[0]}, {sym[1]}", [sym[0], sym[1]], "health")
        else:
            word = R.choice(["pregnant", "miscarriage", "ovulation", "w ciąży", "schwanger", "gravid", "zwanger"])
            text_line(f"user {R.randint(10000, 99999)} marked {word} in onboarding", [word], "health")


def gen_credential(n):
    for _ in range(n):
        r = R.random()
        if r < 0.3:
            kind, tok = credential()
            text_line(R.choice([f"using {kind} token {tok} for upload", f"env {kind.upper()}_TOKEN={tok} loaded", f"rotating key {tok} now"]), [tok], "credential")
        elif r < 0.4:
            pw = password()
            host = R.choice(["db.internal", "10.0.3.7", "rabbit"])
            text_line(f"connecting to postgres://app:{pw}@{host}:5432/cycles", [pw], "credential")
        elif r < 0.5:
            tok = jwt() if R.random() < 0.5 else rs(40)
            text_line(f"Authorization: Bearer {tok} from gateway", [tok], "credential")
        elif r < 0.6:
            pw = password()
            logfmt_line([("user", "svc"), ("password", pw)], [pw], "credential")
        elif r < 0.7:
            kind, tok = credential()
            json_line({"config": {"api_key": tok, "provider": kind}}, [tok], "credential")
        elif r < 0.78:
            sid = rs(32, "0123456789abcdef")
            text_line(f"Set-Cookie: PHPSESSID={sid}; path=/; HttpOnly", [sid], "credential")
        elif r < 0.84:
            key = rs(40, ALNUM + "/+")
            text_line(f"aws_secret_access_key={key}", [key], "credential")
        elif r < 0.9:
            body = rs(64, ALNUM + "/+")
            pem = f"-----BEGIN RSA PRIVATE KEY-----\\n{body}\\n{rs(64, ALNUM + '/+')}\\n-----END RSA PRIVATE KEY-----"
            line = json.dumps({"ts": iso_ts(), "level": "error", "msg": "bad key", "key": "X"}).replace('"X"', '"' + pem + '"')
            add(line, [body], [], "credential", "json")
        elif r < 0.95:
            tok = rs(30) + "/" + rs(30) + "=="
            text_line(f"DefaultEndpointsProtocol=https;AccountName=store{R.randint(1, 99)};AccountKey={tok};EndpointSuffix=core.windows.net", [tok], "credential")
        else:
            pw = password()
            enc = urllib.parse.quote(pw, safe="")
            text_line(f"POST /login?username=ops&password={enc} 302", [enc], "credential")


def gen_username(n):
    for _ in range(n):
        u = R.choice(["zofia", "soren", "jmueller", "anowak", "webmaster", "oracle", "test", "admin", "deploy"]) + str(R.randint(1, 99))
        ip = ipv4()
        port = R.randint(1024, 65000)
        tmpl = R.choice([
            f"sshd[{R.randint(100, 30000)}]: Failed password for invalid user {u} from {ip} port {port} ssh2",
            f"sshd[{R.randint(100, 30000)}]: Accepted password for {u} from {ip} port {port} ssh2",
            f"sshd[{R.randint(100, 30000)}]: Invalid user {u} from {ip}",
            f"sshd(pam_unix)[{R.randint(100, 30000)}]: session opened for user {u} by (uid=0)",
        ])
        secrets = [u + " "] if "session opened" in tmpl else [u + " ", ip]
        line = f"{syslog_ts()} LabSZ {tmpl}"
        if ip in line and ip not in secrets:
            secrets.append(ip)
        keep = [f"port {port}"] if f"port {port}" in line else []
        add(line, [s for s in secrets if s in line], keep, "username", "text")


def gen_clean(n):
    for _ in range(n):
        r = R.random()
        if r < 0.45:
            frags = lookalikes(R.randint(3, 5))
            line = f"{text_prefix()} {R.choice(['request done', 'sync finished', 'cache refreshed', 'deploy ok', 'GC pause'])} " + " ".join(frags)
            add(line, [], frags, "clean", "text")
        elif r < 0.7:
            la = json_lookalikes(R.randint(4, 6))
            doc = {"ts": iso_ts(), "msg": R.choice(["ok", "retrying", "done"])}
            for k, v in la:
                doc[k] = v
            if R.random() < 0.3:
                doc["nested"] = {"span_id": hexid(16), "attempt": R.randint(1, 4), "build": version4()}
            line = json.dumps(doc)
            add(line, [], [jenc(v) for k, v in la if len(str(v)) >= 5], "clean", "json")
        else:
            frags = lookalikes(R.randint(3, 4))
            parts = [f"ts={iso_ts()}", "level=info"] + [f.replace(" ", "=", 1) if " " in f and "=" not in f else f for f in frags]
            line = " ".join(parts)
            add(line, [], parts[2:], "clean", "logfmt")


def gen_hard(n):
    """Harder placements: double encoding, secrets in keys, arrays of
    objects, zone ids, escaped names in text, look-alikes right next to
    secrets."""
    for _ in range(n):
        r = R.randint(0, 15)
        if r == 0:
            e = email()
            enc = urllib.parse.quote(e, safe="")
            inner = json.dumps({"url": f"/reset?email={enc}", "ua": f"Mozilla/5.0 Chrome/{R.randint(100, 131)}.0.0.0"})
            json_line({"event": "http", "payload": inner}, [enc], "email")
        elif r == 1:
            e = email()
            line = json.dumps({"ts": iso_ts(), "by_user": {e: {"count": R.randint(1, 9)}}, "trace_id": hexid(32)})
            add(line, [e], [], "email", "json")
        elif r == 2:
            e = email().upper()
            text_line(f"mailto:{e} bounced", [e], "email")
        elif r == 3:
            sym = R.sample(HEALTH_SYMPTOMS, 3)
            json_line({"entries": [{"day": i + 1, "symptom": x} for i, x in enumerate(sym)], "cycle_id": uuid()}, sym, "health")
        elif r == 4:
            ip = "fe80::" + ":".join("%x" % R.randint(1, 0xFFFF) for _ in range(3))
            text_line(f"neighbour {ip}%eth0 reachable", [ip], "ip")
        elif r == 5:
            ip = ipv6()
            port = R.choice([443, 8443, 22])
            text_line(f"connect [{ip}]:{port} ok", [ip], "ip")
        elif r == 6:
            loc, f, l = person(R.choice(["da", "pl", "de", "sv", "fr"]))
            full = f"{f} {l}"
            esc = json.dumps(full)[1:-1]
            line = f"{text_prefix()} patient {esc} discharged " + json.dumps({"ward": R.choice(["A3", "B1"]), "span_id": hexid(16)})
            add(line, [esc, full] if esc != full else [full], [], "name", "text")
        elif r == 7:
            order = order_number()
            c = card()[1]
            if R.random() < 0.5:
                c = c.replace(" ", "").replace("-", "")
            line = json.dumps({"ts": iso_ts(), "order_id": int(order), "payment": {"pan_data": c}, "status": 201})
            add(line, [c], [order], "card", "json")
        elif r == 8:
            pw = rs(6, ALNUM) + "@" + rs(4, ALNUM)
            enc = urllib.parse.quote(pw, safe="")
            text_line(f"dsn=amqp://svc:{enc}@mq.internal:5672/vhost", [enc], "credential")
        elif r == 9:
            tok = "Bearer " + jwt()
            json_line({"request": {"headers": {"Authorization": tok, "Accept": "application/json"}}}, [tok.split(" ", 1)[1]], "credential", embed=R.random() < 0.5)
        elif r == 10:
            v = version4()
            c = f"{R.randint(1, 20)}.{R.randint(0, 9)}.{R.randint(0, 9)}"
            line = f"{text_prefix()} release {v} rolled out, nginx/{c}, kernel {version4()}-generic, firmware {version4()}"
            add(line, [], [f"release {v}", f"nginx/{c}"], "clean", "text")
        elif r == 11:
            p = phone_intl()
            ts = iso_ts()
            text_line(f"otp to {p} at {ts}", [p], "phone")
            records[-1]["keep"].append(ts)
        elif r == 12:
            v = iban()
            amount = f"{R.randint(1, 9999)}.{R.randint(0, 99):02d}"
            text_line(f"SEPA credit transfer {amount} EUR to {v} ref {R.randint(10**8, 10**9 - 1)}", [v], "iban")
        elif r == 13:
            v = pesel()
            line = json.dumps({"ts": iso_ts(), "msg": f"weryfikacja PESEL {v} OK", "span_id": hexid(16)}, ensure_ascii=False)
            add(line, [v], [], "national_id", "json")
        elif r == 14:
            y, m, d = rand_date(1950, 2005)
            v = "%02d.%02d.%04d" % (d, m, y)
            line = json.dumps({"ts": iso_ts(), "form": {"Geburtsdatum": v, "Sprache": "de"}}, ensure_ascii=False)
            add(line, [v], [], "birth_date", "json")
        else:
            m = mac()
            line = f"{syslog_ts()} ap-3 hostapd: wlan0: STA {m} IEEE 802.11: associated (aid {R.randint(1, 50)})"
            add(line, [m], ["IEEE 802.11"], "mac", "text")


# Hand-written regression cases: (line, secrets, keep, category, format).
# Look-alikes taken from real system logs (LogHub samples) must be kept.
HANDWRITTEN = [
    ("PATIENT: ANNA NOWAK admitted to ward 3", ["ANNA NOWAK"], ["ward 3"], "name", "text"),
    ("Kontakt: Søren Ærøskøbing, tlf. 20 30 40 50", ["Søren Ærøskøbing", "20 30 40 50"], [], "name", "text"),
    ("ring til 20 30 40 50 efter kl 16", ["20 30 40 50"], ["kl 16"], "phone", "text"),
    ("zadzwoń pod numer 601 234 567 jutro", ["601 234 567"], [], "phone", "text"),
    ("appelez le 06 12 34 56 78 demain", ["06 12 34 56 78"], [], "phone", "text"),
    ("bel me op 06-12345678 morgen", ["06-12345678"], [], "phone", "text"),
    ('{"phone": 4520304050, "ssn": 123456789, "span_id": "00f067aa0ba902b7"}', ["4520304050", "123456789"], ["00f067aa0ba902b7"], "phone", "json"),
    ("card number: 4111 1111 1111 1111, exp 12/27, cvv 123", ["4111 1111 1111 1111", "cvv 123"], [], "card", "text"),
    ("IBAN: dk50 0040 0440 1162 43 (konto)", ["dk50 0040 0440 1162 43", " 43"], [], "iban", "text"),
    ("my cpr is 0707614285 ok", ["0707614285"], [], "national_id", "text"),
    ('{"user":{"name":"Zofia Wójcik","email":"zofia@poczta.pl"},"request_id":"4111111111111111"}', ["Zofia Wójcik", "zofia@poczta.pl"], ["4111111111111111"], "name", "json"),
    ('{"customer":"Søren Hansen","age":34}', ["Søren Hansen"], [], "name", "json"),
    ("X-Forwarded-For: 203.0.113.7, 10.0.0.1", ["203.0.113.7", "10.0.0.1"], [], "ip", "text"),
    ('{"msg":"User signed up","data":"{\\"firstName\\":\\"\\u0141ukasz\\",\\"phone\\":\\"+48 601 234 567\\"}"}', ["+48 601 234 567", "\\u0141ukasz"], [], "name", "json"),
    ("Dec 10 06:55:46 LabSZ sshd[24200]: reverse mapping checking getaddrinfo for ns.marryaldkfaczcz.com [173.234.31.186] failed - POSSIBLE BREAK-IN ATTEMPT!", ["ns.marryaldkfaczcz.com", "173.234.31.186"], ["sshd[24200]"], "ip", "text"),
    ("Jun 14 15:16:01 combo sshd(pam_unix)[19939]: authentication failure; logname= uid=0 euid=0 tty=NODEVssh ruser= rhost=218.188.2.4  user=root", ["218.188.2.4", "user=root"], ["uid=0 euid=0"], "ip", "text"),
    ("Dec 10 07:07:38 LabSZ sshd[24206]: Failed password for invalid user test9 from 52.80.34.196 port 36060 ssh2", ["test9 ", "52.80.34.196"], ["port 36060"], "username", "text"),
    ("Jul  1 09:00:55 calvisitor-10-105-160-95 kernel[0]: en0: BSSID changed to 5c:50:15:4c:18:13", ["10-105-160-95", "5c:50:15:4c:18:13"], ["kernel[0]"], "ip", "text"),
    ("route 2001:db8:85a3::/48 via fe80::1%eth0 metric 1024", ["2001:db8:85a3::", "fe80::1"], ["metric 1024"], "ip", "text"),
    ("Bruger Mette Kjærgaard (cpr 070761-4285) har ændret telefon", ["Mette Kjærgaard", "070761-4285"], [], "name", "text"),
    ("Kunde ringede fra 20 30 40 50 ang. faktura 2024-118", ["20 30 40 50"], ["faktura 2024-118"], "phone", "text"),
    ("Pani Małgorzata Wiśniewska, PESEL 44051401359, tel. 601 234 567", ["Małgorzata Wiśniewska", "44051401359", "601 234 567"], [], "name", "text"),
    ("Frau Käthe Schäfer, geb. 14.07.1985, Tel. 030 12345678, IBAN DE89 3704 0044 0532 0130 00", ["Käthe Schäfer", "14.07.1985", "030 12345678", "DE89 3704 0044 0532 0130 00"], [], "name", "text"),
    ("Mme Hélène Lefèvre, NIR 1 84 12 76 451 089 46, née le 14/07/1985", ["Hélène Lefèvre", "1 84 12 76 451 089 46", "14/07/1985"], [], "name", "text"),
    ("Meneer Daan Visser, BSN 111222333, telefoon 06-12345678", ["Daan Visser", "111222333", "06-12345678"], [], "name", "text"),
    ("Kund Åsa Lindström, personnummer 811218-9876, mobil 070-123 45 67", ["Åsa Lindström", "811218-9876", "070-123 45 67"], [], "name", "text"),
    ("Mr John Smith SSN 078-05-1120 phone (555) 234-5678", ["John Smith", "078-05-1120", "(555) 234-5678"], [], "name", "text"),
    # Look-alikes from system logs.
    ("081109 203615 148 INFO dfs.DataNode$PacketResponder: PacketResponder 1 for block blk_38865049064139660 terminating", [], ["blk_38865049064139660", "081109 203615 148"], "clean", "text"),
    ("081109 203807 222 INFO dfs.DataNode$PacketResponder: PacketResponder 0 for block blk_-6952295868487656571 terminating", [], ["blk_-6952295868487656571"], "clean", "text"),
    ("081111 083219 19 INFO dfs.FSNamesystem: BLOCK* NameSystem.addStoredBlock: blockMap updated: is added to blk_-4984941316045458013 size 67108864", [], ["blk_-4984941316045458013", "size 67108864"], "clean", "text"),
    ("- 1118709955 2005.06.13 R10-M0-N1-C:J17-U11 2005-06-13-17.45.55.674418 R10-M0-N1-C:J17-U11 RAS KERNEL FATAL instruction address: 0x00004ed8", [], ["instruction address: 0x00004ed8", "2005-06-13-17.45.55.674418", "R10-M0-N1-C:J17-U11"], "clean", "text"),
    ("- 1117869872 2005.06.04 R27-M1-N4-C:J08-U11 2005-06-04-00.24.32.432192 R27-M1-N4-C:J08-U11 RAS APP FATAL ciod: Received signal 15, code=0, errno=0, address=0x0100013c", [], ["address=0x0100013c"], "clean", "text"),
    ("- 1120231520 2005.07.01 UNKNOWN_LOCATION 2005-07-01-08.25.20.466953 UNKNOWN_LOCATION NULL DISCOVERY INFO Ido chip status changed: FF:F2:9F:16:E2:23:00:0D:60:E9:1D:DC v=9 t=4 status=M", [], ["FF:F2:9F:16:E2:23:00:0D:60:E9:1D:DC"], "clean", "text"),
    ("2016-09-28 04:30:33, Info                  CBS    Read out cached package applicability for package: Package_for_KB3121255~31bf3856ad364e35~amd64~~6.1.1.0, ApplicableState: 112, CurrentState:112", [], ["~~6.1.1.0", "31bf3856ad364e35"], "clean", "text"),
    ("2016-09-28 04:30:31, Info                  CSI    00000001@2016/9/27:20:30:31.455 WcpInitialize (wcp.dll version 0.0.0.6) called (stack @0x7fed806eb5d @0x7fef9fb9b6d)", [], ["version 0.0.0.6", "00000001@2016/9/27:20:30:31.455", "@0x7fed806eb5d"], "clean", "text"),
    ("2016-09-28 04:30:30, Info                  CBS    Loaded Servicing Stack v6.1.7601.23505 with Core: C:\\Windows\\winsxs\\amd64_microsoft-windows-servicingstack_31bf3856ad364e35_6.1.7601.23505_none_681aa442f6fed7f0\\cbscore.dll", [], ["v6.1.7601.23505", "_6.1.7601.23505_none_681aa442f6fed7f0"], "clean", "text"),
    ("2015-10-18 18:01:47,978 INFO [main] org.apache.hadoop.mapreduce.v2.app.MRAppMaster: Created MRAppMaster for application appattempt_1445144423722_0020_000001", [], ["appattempt_1445144423722_0020_000001", "2015-10-18 18:01:47,978"], "clean", "text"),
    ("2015-10-18 18:01:48,963 INFO [main] MRAppMaster: Kind: YARN_AM_RM_TOKEN, Service: , Ident: (appAttemptId { application_id { id: 20 cluster_timestamp: 1445144423722 } attemptId: 1 } keyId: -127633188)", [], ["cluster_timestamp: 1445144423722", "keyId: -127633188"], "clean", "text"),
    ("17/06/09 20:10:48 INFO storage.BlockManager: Found block rdd_2_3 locally, size 2048 took 14 ms", [], ["17/06/09 20:10:48", "rdd_2_3"], "clean", "text"),
    ("134681 node-246 unix.hw state_change.unavailable 1077804742 1 Component State Change: Component \\042SCSI-WWID:01000010:6005-08b4-0001-00c6-0006-3000-003d-0000\\042 is in the unavailable state (HWID=1973)", [], ["6005-08b4-0001-00c6-0006-3000-003d-0000", "HWID=1973"], "clean", "text"),
    ("2015-07-29 17:41:44,747 - INFO  [QuorumPeer[myid=1]/0:0:0:0:0:0:0:0:2181:FastLeaderElection@774] - Notification time out: 3200", [], ["FastLeaderElection@774", "myid=1"], "clean", "text"),
    ("03-17 16:13:38.811  1702  2395 D WindowManager: printFreezingDisplayLogsopening app wtoken = AppWindowToken{9f4ef63 ActivityRecord{de9231d u0 com.tencent.qt.qtl/.activity.info.NewsDetailXmlActivity t761}}, allDrawn= false", [], ["AppWindowToken{9f4ef63", "03-17 16:13:38.811"], "clean", "text"),
    ("20171223-22:15:29:606|Step_LSC|30002312|onStandStepChanged 3579", [], ["20171223-22:15:29:606", "30002312"], "clean", "text"),
    ("[10.30 16:49:06] chrome.exe - proxy.cse.cuhk.edu.hk:5070 open through proxy proxy.cse.cuhk.edu.hk:5070 HTTPS", [], ["[10.30 16:49:06]", "proxy.cse.cuhk.edu.hk:5070"], "clean", "text"),
    ("Jul  1 09:01:05 calvisitor-10-105-160-95 com.apple.CDScheduler[43]: Thermal pressure state: 1 Memory pressure state: 0", [], ["com.apple.CDScheduler[43]"], "clean", "text"),
    ("2024-03-14 10:22:01,123 INFO pool web-7d9f8b6c5-x2x9z pulled image sha256:9fceb02d0ae598e95dc970b74767f19372d61af89fceb02d0ae598e95dc9 in 1.234s", [], ["web-7d9f8b6c5-x2x9z", "sha256:9fceb02d0ae598e95dc970b74767f19372d61af89fceb02d0ae598e95dc9", "1.234s"], "clean", "text"),
    ("HTTP/1.1 200 OK Content-Length: 5120 Date: Fri, 14 Mar 2025 10:22:01 GMT Server: nginx/1.25.3", [], ["Content-Length: 5120", "nginx/1.25.3", "14 Mar 2025 10:22:01 GMT"], "clean", "text"),
]


def gen_handwritten():
    for line, secrets, keep, cat, fmt in HANDWRITTEN:
        add(line, secrets, keep, cat, fmt)


def main():
    gen_email(500)
    gen_phone(500)
    gen_ip(350)
    gen_mac(120)
    gen_geo(200)
    gen_card(450)
    gen_iban(350)
    gen_national(600)
    gen_name(450)
    gen_address(250)
    gen_birth(250)
    gen_device(200)
    gen_health(450)
    gen_credential(500)
    gen_username(150)
    gen_clean(900)
    gen_hard(640)
    gen_handwritten()
    R.shuffle(records)
    with OUT.open("w", encoding="utf-8") as f:
        for rec in records:
            f.write(json.dumps(rec, ensure_ascii=False) + "\n")
    print(f"wrote {len(records)} records to {OUT}")


if __name__ == "__main__":
    main()
