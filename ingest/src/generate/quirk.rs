//! The quirks of real data (`shared/reference/entra-log-formats.md` §d) a record may carry, and
//! Entra's time forms, written with `aad_schemas::time`'s formatter.

use aad_schemas::time::{civil_from_days, format_rfc3339_with};

/// Which quirk a record carries, if any.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum Quirk {
    None,
    UsTime,
    LevelText,
    DurationString,
    ResultTypeInt,
    OneDigitHour,
    NoTime,
    NullCaller,
    LaShaped,
    DriftField,
    AudienceStrings,
}

pub(super) const QUIRKS: &[Quirk] = &[
    Quirk::UsTime,
    Quirk::LevelText,
    Quirk::DurationString,
    Quirk::ResultTypeInt,
    Quirk::OneDigitHour,
    Quirk::NoTime,
    Quirk::NullCaller,
    Quirk::LaShaped,
    Quirk::DriftField,
    Quirk::AudienceStrings,
];

/// A time as Entra writes it: `digits` fraction digits, `Z` or `+00:00`, and, where `pad_hour`
/// is false, a one-digit hour before 10 o'clock (risk `…UpdatedDateTime`, quirk §d).
pub(super) fn iso(nanos: i64, digits: usize, zulu: bool, pad_hour: bool) -> String {
    let mut s = format_rfc3339_with(nanos, digits, zulu);
    // `YYYY-MM-DDTHH`: the hour's first digit is byte 11.
    if !pad_hour && s.as_bytes()[11] == b'0' {
        s.remove(11);
    }
    s
}

/// `M/D/YYYY h:mm:ss AM` (quirk §d.9).
pub(super) fn us_time(nanos: i64) -> String {
    let secs = nanos.div_euclid(1_000_000_000);
    let (y, m, d) = civil_from_days(secs.div_euclid(86_400));
    let sod = secs.rem_euclid(86_400);
    let h = sod / 3600;
    let (h12, ap) = match h {
        0 => (12, "AM"),
        1..=11 => (h, "AM"),
        12 => (12, "PM"),
        _ => (h - 12, "PM"),
    };
    format!(
        "{m}/{d}/{y} {h12}:{:02}:{:02} {ap}",
        sod % 3600 / 60,
        sod % 60
    )
}
