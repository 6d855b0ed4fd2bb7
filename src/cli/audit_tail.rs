//! `audit tail`: the operator's view of recent audit events, one line each.

use anyhow::bail;

use crate::storage::{self, AuditEvent, Store};

/// Parses `90s`, `30m`, `1h`, `2d` or `1w` into seconds; a bare number is seconds.
pub fn parse_duration(text: &str) -> anyhow::Result<i64> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let Ok(number) = number.parse::<i64>() else {
        bail!("invalid duration {text:?}: expected a number and a unit, like 30m, 1h or 2d");
    };
    let unit_secs = match unit {
        "" | "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        "w" => 604_800,
        other => bail!("invalid duration unit {other:?}: use s, m, h, d or w"),
    };
    number
        .checked_mul(unit_secs)
        .ok_or_else(|| anyhow::anyhow!("duration {text:?} is too large"))
}

/// Prints the newest `limit` events of the last `since`, oldest first.
pub async fn tail(store: &Store, since: &str, limit: u32) -> anyhow::Result<()> {
    let window = parse_duration(since)?;
    let from = storage::unix_now().saturating_sub(window);
    for event in store.audit_tail(from, i64::from(limit)).await? {
        println!("{}", line(&event));
    }
    Ok(())
}

/// `time  event  client_id  subject  detail`, tab-separated, `-` for absent values.
fn line(event: &AuditEvent) -> String {
    let dash = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".into());
    format!(
        "{}\t{}\t{}\t{}\t{}",
        crate::timefmt::rfc3339(event.occurred_at),
        event.event,
        dash(&event.client_id),
        dash(&event.subject),
        event.detail
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_with_units_and_reject_garbage() {
        assert_eq!(parse_duration("30m").unwrap(), 1800);
        assert_eq!(parse_duration("1h").unwrap(), 3600);
        assert_eq!(parse_duration("2d").unwrap(), 172_800);
        assert_eq!(parse_duration("45").unwrap(), 45);
        for bad in ["", "h", "1y", "-1h", "1.5h", "99999999999999999999w"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }
}
