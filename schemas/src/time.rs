//! Lenient timestamp parsing for the formats Entra really sends (quirks §d.9, §d.12, §d.13).
//!
//! Accepted, all without allocation:
//! - ISO 8601 `YYYY-MM-DD[T| ]H[H]:MM[:SS[.f…]][Z|±HH:MM|±HHMM|±HH]`, 0–9+ fraction digits (digits
//!   past nanoseconds are truncated), one-digit hours, no zone = UTC; a bare `YYYY-MM-DD`.
//! - US locale `M/D/YYYY H[H]:MM[:SS][ AM|PM][ ±HH:MM]`, 12- or 24-hour, no zone = UTC.

/// Nanoseconds since the Unix epoch, UTC.
pub type EpochNanos = i64;

/// Parse a timestamp; `None` when the text is not one of the accepted forms.
pub fn parse_timestamp(text: &str) -> Option<EpochNanos> {
    let b = text.trim().as_bytes();
    if b.len() >= 8 && b[4] == b'-' {
        parse_iso(b)
    } else {
        parse_us(b)
    }
}

struct Cursor<'a> {
    b: &'a [u8],
    i: usize,
}

impl<'a> Cursor<'a> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }
    fn eat(&mut self, c: u8) -> bool {
        if self.peek() == Some(c) {
            self.i += 1;
            true
        } else {
            false
        }
    }
    /// Between `min` and `max` decimal digits.
    fn digits(&mut self, min: usize, max: usize) -> Option<u32> {
        let start = self.i;
        let mut v: u32 = 0;
        while self.i - start < max {
            match self.peek() {
                Some(d @ b'0'..=b'9') => {
                    v = v * 10 + (d - b'0') as u32;
                    self.i += 1;
                }
                _ => break,
            }
        }
        (self.i - start >= min).then_some(v)
    }
    /// A fraction after the '.': returns nanoseconds, ignoring digits past the ninth.
    fn fraction(&mut self) -> Option<u32> {
        let start = self.i;
        let mut nanos: u32 = 0;
        while let Some(d @ b'0'..=b'9') = self.peek() {
            if self.i - start < 9 {
                nanos = nanos * 10 + (d - b'0') as u32;
            }
            self.i += 1;
        }
        let n = self.i - start;
        if n == 0 {
            return None;
        }
        for _ in n..9 {
            nanos *= 10;
        }
        Some(nanos)
    }
    /// `[.f…]` after the seconds: nanoseconds, 0 when there is no fraction.
    fn optional_fraction(&mut self) -> Option<u32> {
        if self.eat(b'.') || self.eat(b',') {
            self.fraction()
        } else {
            Some(0)
        }
    }
    /// `H[H]:MM[:SS[.f…]]`: (hour, minute, second, nanoseconds).
    fn clock(&mut self) -> Option<(u32, u32, u32, u32)> {
        let hour = self.digits(1, 2)?;
        self.eat(b':').then_some(())?;
        let minute = self.digits(2, 2)?;
        let (mut second, mut nanos) = (0, 0);
        if self.eat(b':') {
            second = self.digits(2, 2)?;
            nanos = self.optional_fraction()?;
        }
        Some((hour, minute, second, nanos))
    }
    fn skip_spaces(&mut self) {
        while self.peek() == Some(b' ') {
            self.i += 1;
        }
    }
    fn done(&self) -> bool {
        self.i == self.b.len()
    }
    /// An optional zone: `Z`, `±HH:MM`, `±HHMM`, `±HH`. Returns the offset in seconds.
    fn zone(&mut self) -> Option<i64> {
        match self.peek() {
            None => Some(0),
            Some(b'Z') | Some(b'z') => {
                self.i += 1;
                Some(0)
            }
            Some(sign @ (b'+' | b'-')) => {
                self.i += 1;
                let h = self.digits(2, 2)? as i64;
                self.eat(b':');
                let m = self.digits(0, 2).unwrap_or(0) as i64;
                if h > 23 || m > 59 {
                    return None;
                }
                let off = h * 3600 + m * 60;
                Some(if sign == b'-' { -off } else { off })
            }
            _ => None,
        }
    }
}

/// Date and time read from `YYYY-MM-DDTHH:MM:SS` at fixed places.
type Fixed = ((i64, u32, u32), (u32, u32, u32));

/// `YYYY-MM-DDTHH:MM:SS` at fixed places, as Entra writes nearly every time: read in one go,
/// without the cursor's checks per digit. On the `audit` shape, whose records carry several
/// times each, time parsing fell from 6.3 to 2.7 % of decode + normalize's profile. Anything
/// else is for the cursor.
#[inline]
fn fixed_iso(b: &[u8]) -> Option<Fixed> {
    let h: &[u8; 19] = b.get(..19)?.try_into().ok()?;
    let digit = |i: usize| {
        let d = h[i].wrapping_sub(b'0');
        (d < 10).then_some(d as u32)
    };
    let two = |i: usize| Some(digit(i)? * 10 + digit(i + 1)?);
    let layout = h[4] == b'-'
        && h[7] == b'-'
        && matches!(h[10], b'T' | b't' | b' ')
        && h[13] == b':'
        && h[16] == b':';
    if !layout {
        return None;
    }
    let year = (two(0)? * 100 + two(2)?) as i64;
    Some(((year, two(5)?, two(8)?), (two(11)?, two(14)?, two(17)?)))
}

fn parse_iso(b: &[u8]) -> Option<EpochNanos> {
    parse_iso_from(b, fixed_iso(b))
}

/// The rest of an ISO timestamp after its fixed-place start, or all of it with the cursor.
fn parse_iso_from(b: &[u8], fixed: Option<Fixed>) -> Option<EpochNanos> {
    let (mut c, (year, month, day), (hour, minute, second, nanos)) = match fixed {
        Some((date, (hour, minute, second))) => {
            let mut c = Cursor { b, i: 19 };
            let nanos = c.optional_fraction()?;
            (c, date, (hour, minute, second, nanos))
        }
        None => {
            let mut c = Cursor { b, i: 0 };
            let year = c.digits(4, 4)? as i64;
            c.eat(b'-').then_some(())?;
            let month = c.digits(1, 2)?;
            c.eat(b'-').then_some(())?;
            let day = c.digits(1, 2)?;
            if c.done() {
                return assemble(year, month, day, 0, 0, 0, 0, 0);
            }
            if !(c.eat(b'T') || c.eat(b't') || c.eat(b' ')) {
                return None;
            }
            let clock = c.clock()?;
            (c, (year, month, day), clock)
        }
    };
    c.skip_spaces();
    let offset = c.zone()?;
    if !c.done() {
        return None;
    }
    assemble(year, month, day, hour, minute, second, nanos, offset)
}

fn parse_us(b: &[u8]) -> Option<EpochNanos> {
    let mut c = Cursor { b, i: 0 };
    let month = c.digits(1, 2)?;
    c.eat(b'/').then_some(())?;
    let day = c.digits(1, 2)?;
    c.eat(b'/').then_some(())?;
    let year = c.digits(4, 4)? as i64;
    c.skip_spaces();
    let (mut hour, minute, second, nanos) = c.clock()?;
    c.skip_spaces();
    let meridiem = (
        c.peek().map(|x| x.to_ascii_uppercase()),
        c.b.get(c.i + 1).map(|x| x.to_ascii_uppercase()),
    );
    if let (Some(ap @ (b'A' | b'P')), Some(b'M')) = meridiem {
        c.i += 2;
        if hour == 0 || hour > 12 {
            return None;
        }
        hour %= 12;
        if ap == b'P' {
            hour += 12;
        }
    }
    c.skip_spaces();
    let offset = c.zone()?;
    if !c.done() {
        return None;
    }
    assemble(year, month, day, hour, minute, second, nanos, offset)
}

#[allow(clippy::too_many_arguments)]
fn assemble(
    year: i64,
    month: u32,
    day: u32,
    hour: u32,
    minute: u32,
    second: u32,
    nanos: u32,
    offset_secs: i64,
) -> Option<EpochNanos> {
    if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
        return None;
    }
    // 24:00:00 is not accepted; leap second 60 is folded into the next minute like most parsers.
    if hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let days = days_from_civil(year, month, day);
    let secs =
        days * 86_400 + hour as i64 * 3600 + minute as i64 * 60 + second as i64 - offset_secs;
    secs.checked_mul(1_000_000_000)?.checked_add(nanos as i64)
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if is_leap(y) => 29,
        _ => 28,
    }
}

/// Days since 1970-01-01 (Howard Hinnant's algorithm).
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m as i64 + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// (year, month, day) of a day number since 1970-01-01.
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// `YYYY-MM-DDTHH:MM:SS.fffffffZ` (7 fraction digits, as Entra writes `time`).
pub fn format_rfc3339(nanos: EpochNanos) -> String {
    format_rfc3339_with(nanos, 7, true)
}

/// RFC 3339 with `digits` (0–9) fraction digits, truncated, ending in `Z` or, when `zulu` is
/// false, in `+00:00`: Entra writes both forms and 0 to 7 digits, field by field.
pub fn format_rfc3339_with(nanos: EpochNanos, digits: usize, zulu: bool) -> String {
    let secs = nanos.div_euclid(1_000_000_000);
    let frac = nanos.rem_euclid(1_000_000_000);
    let (y, m, d) = civil_from_days(secs.div_euclid(86_400));
    let sod = secs.rem_euclid(86_400);
    let mut s = format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}",
        sod / 3600,
        sod % 3600 / 60,
        sod % 60
    );
    let digits = digits.min(9);
    if digits > 0 {
        s.push('.');
        s.push_str(&format!("{frac:09}")[..digits]);
    }
    s.push_str(if zulu { "Z" } else { "+00:00" });
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn iso(s: &str) -> String {
        format_rfc3339(parse_timestamp(s).unwrap_or_else(|| panic!("rejected {s:?}")))
    }

    #[test]
    fn elastic_corner_cases_all_mean_the_same_instant() {
        // shared/samples/…/test-time-formats-corner-cases.log, one per line.
        for s in [
            "01/09/2007 09:41:00",
            "1/9/2007 09:41:00",
            "01/09/2007 09:41:00 AM",
            "1/9/2007 9:41:00 AM",
            "1/9/2007 10:41:00 AM +01:00",
            "2007-01-09T09:41:00",
            "2007-01-09T11:41:00+02:00",
        ] {
            assert_eq!(iso(s), "2007-01-09T09:41:00.0000000Z", "{s}");
        }
        assert_eq!(
            iso("2007-01-09T09:41:00.22Z"),
            "2007-01-09T09:41:00.2200000Z"
        );
        assert_eq!(
            iso("2007-01-09T09:41:00.6816663Z"),
            "2007-01-09T09:41:00.6816663Z"
        );
        assert_eq!(
            parse_timestamp("2007-01-09T09:41:00.535404056Z").unwrap() % 1_000_000_000,
            535_404_056
        );
        assert_eq!(
            iso("2007-01-09T09:41:00.992099+00:00"),
            "2007-01-09T09:41:00.9920990Z"
        );
    }

    #[test]
    fn entra_forms() {
        assert_eq!(iso("8/22/2022 6:11:52 PM"), "2022-08-22T18:11:52.0000000Z");
        assert_eq!(
            iso("12/12/2025 12:03:58 AM"),
            "2025-12-12T00:03:58.0000000Z"
        );
        assert_eq!(
            iso("12/12/2025 12:03:58 PM"),
            "2025-12-12T12:03:58.0000000Z"
        );
        assert_eq!(
            iso("2022-09-09T9:59:27.958Z"),
            "2022-09-09T09:59:27.9580000Z"
        );
        assert_eq!(
            iso("2019-08-12T13:05:45.123-05:00"),
            "2019-08-12T18:05:45.1230000Z"
        );
        assert_eq!(
            iso("2025-12-12T14:56:31+00:00"),
            "2025-12-12T14:56:31.0000000Z"
        );
        assert_eq!(
            iso("2024-03-07T11:47:00.1234567891234Z"),
            "2024-03-07T11:47:00.1234567Z"
        );
        assert_eq!(iso("2024-02-29"), "2024-02-29T00:00:00.0000000Z");
    }

    #[test]
    fn rejects_non_times() {
        for s in [
            "",
            "None",
            "2024-02-30T00:00:00Z",
            "13/1/2020 1:00:00 PM",
            "2024-01-01T25:00:00Z",
            "1700000000",
            "2024-01-01T10:00:00Zjunk",
        ] {
            assert_eq!(parse_timestamp(s), None, "{s}");
        }
    }

    /// The fixed-place start reads what the cursor reads, for every form that has it and for
    /// near misses: each of its 19 bytes changed in turn, and every ending after it.
    #[test]
    fn the_fixed_place_start_agrees_with_the_cursor() {
        let endings = [
            "",
            "Z",
            "z",
            ".1234567Z",
            ",5",
            ".",
            ".Z",
            "+02:00",
            "-0530",
            "+01",
            " Z",
            "  +00:00",
            ".123456789123Z",
            "Zjunk",
            "+25:00",
            ":00",
        ];
        let starts = [
            "2024-03-07T11:47:00",
            "2024-02-29 23:59:60",
            "2023-02-29T00:00:00",
            "1969-12-31t00:00:00",
            "2024-13-01T00:00:00",
            "2024-01-01T24:00:00",
        ];
        let mut fixed = 0;
        for start in starts {
            let mut variants = vec![start.to_string()];
            for i in 0..start.len() {
                for c in ['0', '9', '-', ':', 'T', ' ', 'x', '/'] {
                    let mut v = start.as_bytes().to_vec();
                    v[i] = c as u8;
                    variants.push(String::from_utf8(v).unwrap());
                }
            }
            for v in &variants {
                for ending in endings {
                    let text = format!("{v}{ending}");
                    let b = text.as_bytes();
                    fixed += fixed_iso(b).is_some() as usize;
                    assert_eq!(
                        parse_iso_from(b, fixed_iso(b)),
                        parse_iso_from(b, None),
                        "{text:?}"
                    );
                }
            }
        }
        // A fifth of the texts keep the layout (a digit for a digit, a separator for itself):
        // the fixed reading is exercised, not only the way around it.
        assert!(fixed >= 3000, "{fixed}");
    }

    #[test]
    fn formats_with_any_precision_and_either_offset() {
        let t = 1_793_491_200_123_456_789;
        assert_eq!(format_rfc3339(t), "2026-11-01T00:00:00.1234567Z");
        assert_eq!(
            format_rfc3339_with(t, 0, false),
            "2026-11-01T00:00:00+00:00"
        );
        assert_eq!(format_rfc3339_with(t, 3, true), "2026-11-01T00:00:00.123Z");
        assert_eq!(
            format_rfc3339_with(t, 9, true),
            "2026-11-01T00:00:00.123456789Z"
        );
        assert_eq!(format_rfc3339_with(-1, 2, true), "1969-12-31T23:59:59.99Z");
    }

    #[test]
    fn civil_round_trip() {
        for days in [-800_000i64, -1, 0, 1, 11_016, 19_000, 2_932_896] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
    }
}
