//! Checks run on candidate matches after the regex found them: checksums and
//! date sanity. Cheap, allocation-free, and the main defence against
//! look-alikes (order numbers, timestamps) being redacted.

/// A named check a rule may ask for with `validator = "..."`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Validator {
    /// Payment card numbers: Luhn mod 10 over 12 to 19 digits.
    Luhn,
    /// IBAN: country length table and ISO 7064 mod 97-10.
    Iban,
    /// Polish PESEL: 11 digits, weighted checksum, valid birth date.
    PlPesel,
    /// Danish CPR: DDMMYY-SSSS with a valid date (no modulus 11, which
    /// numbers issued since 2007 need not satisfy).
    DkCpr,
    /// US SSN: area not 000, 666 or 9xx; group and serial not zero.
    UsSsn,
    /// UK National Insurance number prefix rules.
    UkNino,
    /// German tax id (Steuerliche IdNr): ISO 7064 mod 11,10 and digit counts.
    DeTaxId,
    /// Dutch BSN: 11-proof.
    NlBsn,
    /// Swedish personnummer: valid date and Luhn over the last 10 digits.
    SePersonnummer,
    /// French NIR (social security number): 97 - (number mod 97) key.
    FrNir,
    /// IPv4: four octets of at most 255.
    Ipv4,
    /// IPv6: parses as an IPv6 address.
    Ipv6,
    /// A calendar date (YYYY-MM-DD, DD.MM.YYYY, DD/MM/YYYY, MM/DD/YYYY).
    Date,
    /// A latitude,longitude pair within range.
    LatLon,
}

impl Validator {
    /// Every validator name, for error messages and docs.
    pub const NAMES: &'static [&'static str] = &[
        "luhn",
        "iban",
        "pl_pesel",
        "dk_cpr",
        "us_ssn",
        "uk_nino",
        "de_taxid",
        "nl_bsn",
        "se_personnummer",
        "fr_nir",
        "ipv4",
        "ipv6",
        "date",
        "latlon",
    ];

    pub fn from_name(name: &str) -> Option<Validator> {
        use Validator::*;
        Some(match name {
            "luhn" => Luhn,
            "iban" => Iban,
            "pl_pesel" => PlPesel,
            "dk_cpr" => DkCpr,
            "us_ssn" => UsSsn,
            "uk_nino" => UkNino,
            "de_taxid" => DeTaxId,
            "nl_bsn" => NlBsn,
            "se_personnummer" => SePersonnummer,
            "fr_nir" => FrNir,
            "ipv4" => Ipv4,
            "ipv6" => Ipv6,
            "date" => Date,
            "latlon" => LatLon,
            _ => return None,
        })
    }

    /// A pattern that every text this validator accepts contains, where one
    /// is far rarer in logs than the rules' own patterns: the content gate
    /// (which decides whether the union of content patterns is searched at
    /// all) looks for it in place of the rule's pattern. An IPv6 address
    /// holds `::` or six `group:` in a row; a time like `12:34:56`, which
    /// the `ipv6` rule's pattern matches, holds neither.
    pub fn shape(self) -> Option<&'static str> {
        match self {
            Validator::Ipv6 => Some("::|(?i:[0-9a-f]{1,4}:){6}"),
            _ => None,
        }
    }

    /// True when `candidate` passes the check.
    pub fn check(self, candidate: &[u8]) -> bool {
        use Validator::*;
        match self {
            Luhn => {
                let d = Digits::of(candidate);
                (12..=19).contains(&d.len) && luhn(d.as_slice())
            }
            Iban => iban(candidate),
            PlPesel => pl_pesel(Digits::of(candidate).as_slice()),
            DkCpr => dk_cpr(Digits::of(candidate).as_slice()),
            UsSsn => us_ssn(Digits::of(candidate).as_slice()),
            UkNino => uk_nino(candidate),
            DeTaxId => de_taxid(Digits::of(candidate).as_slice()),
            NlBsn => nl_bsn(Digits::of(candidate).as_slice()),
            SePersonnummer => se_personnummer(Digits::of(candidate).as_slice()),
            FrNir => fr_nir(candidate),
            Ipv4 => ipv4(candidate),
            Ipv6 => std::str::from_utf8(candidate)
                .is_ok_and(|s| s.parse::<std::net::Ipv6Addr>().is_ok()),
            Date => date_any(candidate),
            LatLon => latlon(candidate),
        }
    }
}

/// Up to 32 decimal digits pulled out of a candidate, separators skipped.
struct Digits {
    buf: [u8; 32],
    len: usize,
}

impl Digits {
    fn of(s: &[u8]) -> Digits {
        let mut d = Digits {
            buf: [0; 32],
            len: 0,
        };
        for &b in s {
            if b.is_ascii_digit() {
                if d.len == d.buf.len() {
                    d.len = 0;
                    return d;
                }
                d.buf[d.len] = b - b'0';
                d.len += 1;
            }
        }
        d
    }
    fn as_slice(&self) -> &[u8] {
        &self.buf[..self.len]
    }
}

/// Luhn mod 10 over digit values.
pub fn luhn(d: &[u8]) -> bool {
    if d.is_empty() {
        return false;
    }
    let sum: u32 = d
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &x)| {
            let x = u32::from(x);
            if i % 2 == 1 {
                let y = x * 2;
                if y > 9 {
                    y - 9
                } else {
                    y
                }
            } else {
                x
            }
        })
        .sum();
    sum % 10 == 0
}

/// IBAN lengths per country (ISO 13616 registry).
const IBAN_LENGTHS: &[(&[u8; 2], usize)] = &[
    (b"AD", 24),
    (b"AE", 23),
    (b"AL", 28),
    (b"AT", 20),
    (b"AZ", 28),
    (b"BA", 20),
    (b"BE", 16),
    (b"BG", 22),
    (b"BH", 22),
    (b"BI", 27),
    (b"BR", 29),
    (b"BY", 28),
    (b"CH", 21),
    (b"CR", 22),
    (b"CY", 28),
    (b"CZ", 24),
    (b"DE", 22),
    (b"DJ", 27),
    (b"DK", 18),
    (b"DO", 28),
    (b"EE", 20),
    (b"EG", 29),
    (b"ES", 24),
    (b"FI", 18),
    (b"FK", 18),
    (b"FO", 18),
    (b"FR", 27),
    (b"GB", 22),
    (b"GE", 22),
    (b"GI", 23),
    (b"GL", 18),
    (b"GR", 27),
    (b"GT", 28),
    (b"HR", 21),
    (b"HU", 28),
    (b"IE", 22),
    (b"IL", 23),
    (b"IQ", 23),
    (b"IS", 26),
    (b"IT", 27),
    (b"JO", 30),
    (b"KW", 30),
    (b"KZ", 20),
    (b"LB", 28),
    (b"LC", 32),
    (b"LI", 21),
    (b"LT", 20),
    (b"LU", 20),
    (b"LV", 21),
    (b"LY", 25),
    (b"MC", 27),
    (b"MD", 24),
    (b"ME", 22),
    (b"MK", 19),
    (b"MN", 20),
    (b"MR", 27),
    (b"MT", 31),
    (b"MU", 30),
    (b"NI", 28),
    (b"NL", 18),
    (b"NO", 15),
    (b"OM", 23),
    (b"PK", 24),
    (b"PL", 28),
    (b"PS", 29),
    (b"PT", 25),
    (b"QA", 29),
    (b"RO", 24),
    (b"RS", 22),
    (b"RU", 33),
    (b"SA", 24),
    (b"SC", 31),
    (b"SD", 18),
    (b"SE", 24),
    (b"SI", 19),
    (b"SK", 24),
    (b"SM", 27),
    (b"SO", 23),
    (b"ST", 25),
    (b"SV", 28),
    (b"TL", 23),
    (b"TN", 24),
    (b"TR", 26),
    (b"UA", 29),
    (b"VA", 22),
    (b"VG", 24),
    (b"XK", 20),
    (b"YE", 30),
];

/// IBAN: known country, right length, mod 97 == 1. Spaces are ignored.
pub fn iban(s: &[u8]) -> bool {
    let mut buf = [0u8; 34];
    let mut n = 0;
    for &b in s {
        if b == b' ' || b == b'-' {
            continue;
        }
        if n == buf.len() || !b.is_ascii_alphanumeric() {
            return false;
        }
        buf[n] = b.to_ascii_uppercase();
        n += 1;
    }
    if n < 15 {
        return false;
    }
    let iban = &buf[..n];
    let Some(&(_, len)) = IBAN_LENGTHS
        .iter()
        .find(|(cc, _)| &iban[..2] == cc.as_slice())
    else {
        return false;
    };
    if n != len || !iban[2..4].iter().all(u8::is_ascii_digit) {
        return false;
    }
    let mut rem: u32 = 0;
    for &b in iban[4..].iter().chain(&iban[..4]) {
        let v = if b.is_ascii_digit() {
            u32::from(b - b'0')
        } else {
            u32::from(b - b'A') + 10
        };
        rem = if v >= 10 {
            (rem * 100 + v) % 97
        } else {
            (rem * 10 + v) % 97
        };
    }
    rem == 1
}

fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        _ => 0,
    }
}

fn valid_date(year: u32, month: u32, day: u32) -> bool {
    (1..=12).contains(&month) && day >= 1 && day <= days_in_month(year, month)
}

fn num(d: &[u8]) -> u32 {
    d.iter().fold(0, |a, &x| a * 10 + u32::from(x))
}

/// PESEL: YYMMDDZZZXQ, month encodes the century, weights 1 3 7 9.
pub fn pl_pesel(d: &[u8]) -> bool {
    if d.len() != 11 {
        return false;
    }
    const W: [u32; 10] = [1, 3, 7, 9, 1, 3, 7, 9, 1, 3];
    let sum: u32 = d[..10].iter().zip(W).map(|(&x, w)| u32::from(x) * w).sum();
    if (10 - sum % 10) % 10 != u32::from(d[10]) {
        return false;
    }
    let (yy, mm, dd) = (num(&d[0..2]), num(&d[2..4]), num(&d[4..6]));
    let (century, month) = match mm {
        1..=12 => (1900, mm),
        21..=32 => (2000, mm - 20),
        41..=52 => (2100, mm - 40),
        61..=72 => (2200, mm - 60),
        81..=92 => (1800, mm - 80),
        _ => return false,
    };
    valid_date(century + yy, month, dd)
}

/// CPR: DDMMYY then four digits; the 7th digit and the year give the century.
pub fn dk_cpr(d: &[u8]) -> bool {
    if d.len() != 10 {
        return false;
    }
    let (dd, mm, yy, c) = (num(&d[0..2]), num(&d[2..4]), num(&d[4..6]), d[6]);
    let century = match (c, yy) {
        (0..=3, _) => 1900,
        (4 | 9, 0..=36) => 2000,
        (4 | 9, _) => 1900,
        (5..=8, 0..=57) => 2000,
        (5..=8, _) => 1800,
        _ => return false,
    };
    valid_date(century + yy, mm, dd)
}

/// SSN: AAA-GG-SSSS with the SSA's never-issued ranges excluded.
pub fn us_ssn(d: &[u8]) -> bool {
    if d.len() != 9 {
        return false;
    }
    let (area, group, serial) = (num(&d[0..3]), num(&d[3..5]), num(&d[5..9]));
    area != 0 && area != 666 && area < 900 && group != 0 && serial != 0
}

/// NINO: two prefix letters (not D F I Q U V; second not O; not BG GB KN NK
/// NT TN ZZ), six digits, suffix A-D.
pub fn uk_nino(s: &[u8]) -> bool {
    let mut buf = [0u8; 9];
    let mut n = 0;
    for &b in s {
        if b == b' ' {
            continue;
        }
        if n == 9 {
            return false;
        }
        buf[n] = b.to_ascii_uppercase();
        n += 1;
    }
    if n != 9 {
        return false;
    }
    let (a, b) = (buf[0], buf[1]);
    let bad = |c: u8| matches!(c, b'D' | b'F' | b'I' | b'Q' | b'U' | b'V');
    let prefix = [a, b];
    a.is_ascii_uppercase()
        && b.is_ascii_uppercase()
        && !bad(a)
        && !bad(b)
        && b != b'O'
        && ![b"BG", b"GB", b"KN", b"NK", b"NT", b"TN", b"ZZ"].contains(&&prefix)
        && buf[2..8].iter().all(u8::is_ascii_digit)
        && (b'A'..=b'D').contains(&buf[8])
}

/// German tax id: 11 digits, first not 0, in the first ten exactly one digit
/// repeated (twice or thrice), check digit by ISO 7064 MOD 11,10.
pub fn de_taxid(d: &[u8]) -> bool {
    if d.len() != 11 || d[0] == 0 {
        return false;
    }
    let mut counts = [0u8; 10];
    for &x in &d[..10] {
        counts[usize::from(x)] += 1;
    }
    let repeated = counts.iter().filter(|&&c| c > 1).count();
    let missing = counts.iter().filter(|&&c| c == 0).count();
    if repeated != 1 || !(1..=2).contains(&missing) {
        return false;
    }
    let mut product = 10u32;
    for &x in &d[..10] {
        let mut sum = (u32::from(x) + product) % 10;
        if sum == 0 {
            sum = 10;
        }
        product = (sum * 2) % 11;
    }
    let check = (11 - product) % 10;
    check == u32::from(d[10])
}

/// BSN: 9 digits, 9*d1 + 8*d2 + ... + 2*d8 - d9 divisible by 11, not all zero.
pub fn nl_bsn(d: &[u8]) -> bool {
    if d.len() != 9 || d.iter().all(|&x| x == 0) {
        return false;
    }
    let mut sum: i32 = 0;
    for (i, &x) in d[..8].iter().enumerate() {
        sum += (9 - i as i32) * i32::from(x);
    }
    sum -= i32::from(d[8]);
    sum % 11 == 0
}

/// Personnummer: (YY)YYMMDD-NNNC with Luhn over YYMMDDNNNC; day+60 marks a
/// samordningsnummer.
pub fn se_personnummer(d: &[u8]) -> bool {
    let d = match d.len() {
        10 => d,
        12 => &d[2..],
        _ => return false,
    };
    let (yy, mm, mut dd) = (num(&d[0..2]), num(&d[2..4]), num(&d[4..6]));
    if dd > 60 {
        dd -= 60;
    }
    valid_date(2000 + yy, mm, dd) && luhn(d)
}

/// NIR: 13 digits (Corsica: 2A/2B) and a two-digit key = 97 - n mod 97.
pub fn fr_nir(s: &[u8]) -> bool {
    let mut buf = [0u8; 15];
    let mut n = 0;
    for &b in s {
        if b == b' ' || b == b'.' || b == b'-' {
            continue;
        }
        if n == 15 {
            return false;
        }
        buf[n] = b.to_ascii_uppercase();
        n += 1;
    }
    if n != 15 || !matches!(buf[0], b'1' | b'2' | b'7' | b'8') {
        return false;
    }
    let month = &buf[3..5];
    if !month.iter().all(u8::is_ascii_digit) {
        return false;
    }
    let mm = u32::from(month[0] - b'0') * 10 + u32::from(month[1] - b'0');
    if !((1..=12).contains(&mm) || (20..=42).contains(&mm) || (50..=99).contains(&mm)) {
        return false;
    }
    // Corsican departments 2A and 2B count as 19 and 18 in the key.
    let mut value: u64 = 0;
    let mut corsica = 0u64;
    for (i, &b) in buf[..13].iter().enumerate() {
        let digit = match (i, b) {
            (6, b'A') => {
                corsica = 1_000_000;
                0
            }
            (6, b'B') => {
                corsica = 2_000_000;
                0
            }
            (_, b'0'..=b'9') => u64::from(b - b'0'),
            _ => return false,
        };
        value = value * 10 + digit;
    }
    let value = value - corsica;
    if !buf[13..].iter().all(u8::is_ascii_digit) {
        return false;
    }
    let key = u64::from(buf[13] - b'0') * 10 + u64::from(buf[14] - b'0');
    97 - value % 97 == key
}

/// Four dotted octets 0..=255 without leading zeros beyond one digit.
pub fn ipv4(s: &[u8]) -> bool {
    let mut parts = 0;
    for part in s.split(|&b| b == b'.') {
        parts += 1;
        if part.is_empty() || part.len() > 3 || !part.iter().all(u8::is_ascii_digit) {
            return false;
        }
        if part.len() > 1 && part[0] == b'0' {
            return false;
        }
        if num_bytes(part) > 255 {
            return false;
        }
    }
    parts == 4
}

fn num_bytes(s: &[u8]) -> u32 {
    s.iter().fold(0u32, |a, &b| {
        a.saturating_mul(10).saturating_add(u32::from(b - b'0'))
    })
}

/// Any of YYYY-MM-DD, YYYY/MM/DD, DD.MM.YYYY, DD/MM/YYYY, DD-MM-YYYY or
/// MM/DD/YYYY forms a real calendar date between 1900 and 2100.
pub fn date_any(s: &[u8]) -> bool {
    let parts: [&[u8]; 3] = {
        let mut it = s.split(|&b| matches!(b, b'-' | b'/' | b'.'));
        match (it.next(), it.next(), it.next(), it.next()) {
            (Some(a), Some(b), Some(c), None) => [a, b, c],
            _ => return false,
        }
    };
    if !parts
        .iter()
        .all(|p| !p.is_empty() && p.iter().all(u8::is_ascii_digit))
    {
        return false;
    }
    let [a, b, c] = parts.map(num_bytes);
    let ok_year = |y: u32| (1900..=2100).contains(&y);
    if parts[0].len() == 4 {
        return ok_year(a) && valid_date(a, b, c);
    }
    if parts[2].len() == 4 {
        return ok_year(c) && (valid_date(c, b, a) || valid_date(c, a, b));
    }
    false
}

/// "lat, lon" (or "lat lon") with |lat| <= 90 and |lon| <= 180.
pub fn latlon(s: &[u8]) -> bool {
    let Ok(text) = std::str::from_utf8(s) else {
        return false;
    };
    let mut it = text
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|p| !p.is_empty());
    let (Some(lat), Some(lon), None) = (it.next(), it.next(), it.next()) else {
        return false;
    };
    match (lat.parse::<f64>(), lon.parse::<f64>()) {
        (Ok(lat), Ok(lon)) => lat.abs() <= 90.0 && lon.abs() <= 180.0,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn luhn_accepts_test_cards_and_rejects_neighbours() {
        for card in [
            "4111 1111 1111 1111",
            "5500-0000-0000-0004",
            "378282246310005",
            "6011111111111117",
        ] {
            assert!(Validator::Luhn.check(card.as_bytes()), "{card}");
        }
        for bad in ["4111 1111 1111 1112", "1234567812345678", "12345"] {
            assert!(!Validator::Luhn.check(bad.as_bytes()), "{bad}");
        }
    }

    #[test]
    fn iban_checks_length_and_mod97() {
        assert!(iban(b"DE89 3704 0044 0532 0130 00"));
        assert!(iban(b"GB82WEST12345698765432"));
        assert!(iban(b"DK5000400440116243"));
        assert!(iban(b"PL61109010140000071219812874"));
        assert!(!iban(b"DE89 3704 0044 0532 0130 01"));
        assert!(!iban(b"XX89370400440532013000"));
        assert!(!iban(b"DE8937040044053201300"));
    }

    #[test]
    fn pesel_checks_checksum_and_date() {
        assert!(pl_pesel(Digits::of(b"44051401359").as_slice()));
        assert!(pl_pesel(Digits::of(b"02070803628").as_slice()));
        assert!(!pl_pesel(Digits::of(b"44051401358").as_slice()));
        assert!(!pl_pesel(Digits::of(b"44133101350").as_slice()));
    }

    #[test]
    fn cpr_needs_a_real_date_but_no_modulus_11() {
        assert!(Validator::DkCpr.check(b"070761-4285"));
        assert!(Validator::DkCpr.check(b"010190-1234"));
        assert!(!Validator::DkCpr.check(b"320190-1234"));
        assert!(!Validator::DkCpr.check(b"290221-1234"));
        assert!(Validator::DkCpr.check(b"290220-4234"));
    }

    #[test]
    fn national_ids() {
        assert!(Validator::UsSsn.check(b"123-45-6789"));
        assert!(!Validator::UsSsn.check(b"666-45-6789"));
        assert!(!Validator::UsSsn.check(b"123-00-6789"));
        assert!(Validator::UkNino.check(b"AB 12 34 56 C"));
        assert!(!Validator::UkNino.check(b"GB123456C"));
        assert!(Validator::NlBsn.check(b"111222333"));
        assert!(!Validator::NlBsn.check(b"111222334"));
        assert!(Validator::DeTaxId.check(b"86095742719"));
        assert!(!Validator::DeTaxId.check(b"86095742718"));
        assert!(Validator::SePersonnummer.check(b"811218-9876"));
        assert!(!Validator::SePersonnummer.check(b"811218-9875"));
        assert!(Validator::FrNir.check(b"1 84 12 76 451 089 46"));
        assert!(!Validator::FrNir.check(b"1 84 12 76 451 089 47"));
    }

    #[test]
    fn network_and_dates() {
        assert!(ipv4(b"192.168.0.1"));
        assert!(!ipv4(b"256.1.1.1"));
        assert!(!ipv4(b"1.2.3"));
        assert!(Validator::Ipv6.check(b"2001:db8::1"));
        assert!(!Validator::Ipv6.check(b"12:34:56"));
        assert!(date_any(b"1990-02-28"));
        assert!(date_any(b"28.02.1990"));
        assert!(date_any(b"02/28/1990"));
        assert!(!date_any(b"1990-02-30"));
        assert!(latlon(b"55.6761, 12.5683"));
        assert!(!latlon(b"95.1, 12.5"));
    }

    /// Every way of writing an IPv6 address that the validator accepts
    /// holds the validator's shape: compressed anywhere, in full, with
    /// leading zeros, with an IPv4 tail.
    #[test]
    fn every_accepted_ipv6_holds_the_shape() {
        let shape = regex::bytes::Regex::new(Validator::Ipv6.shape().unwrap()).unwrap();
        let mut seed = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let mut checked = 0;
        for _ in 0..5000 {
            let mut groups = [0u16; 8];
            for g in groups.iter_mut() {
                // Small and zero groups often, so that `::` runs appear.
                *g = match next() % 4 {
                    0 => 0,
                    1 => (next() % 16) as u16,
                    _ => next() as u16,
                };
            }
            let addr = std::net::Ipv6Addr::from(groups);
            let hex: Vec<String> = groups.iter().map(|g| format!("{g:x}")).collect();
            let v4 = format!(
                "{}.{}.{}.{}",
                next() % 256,
                next() % 256,
                next() % 256,
                next() % 256
            );
            let cut = (next() % 6) as usize;
            let mut forms = vec![
                addr.to_string(),
                addr.to_string().to_uppercase(),
                hex.join(":"),
                groups.map(|g| format!("{g:04x}")).join(":"),
                format!("{}:{v4}", hex[..6].join(":")),
                format!("{}::{v4}", hex[..cut].join(":")),
                format!("{}::{}", hex[..cut].join(":"), hex[cut + 1..].join(":")),
            ];
            forms.push(format!("::{}", hex[(next() % 8) as usize]));
            for form in forms {
                if Validator::Ipv6.check(form.as_bytes()) {
                    checked += 1;
                    assert!(shape.is_match(form.as_bytes()), "{form}");
                }
            }
        }
        assert!(checked > 30_000, "{checked}");
        for time in [
            "12:34:56",
            "2026-11-24T10:11:12.345Z",
            "00:01:02.345",
            "aa:bb:cc:dd:ee:ff",
        ] {
            assert!(!shape.is_match(time.as_bytes()), "{time}");
        }
    }

    #[test]
    fn every_name_resolves() {
        for name in Validator::NAMES {
            assert!(Validator::from_name(name).is_some(), "{name}");
        }
    }
}
