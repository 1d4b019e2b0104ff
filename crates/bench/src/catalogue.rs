//! The benchmark's network: the demo catalogue with benchmark centres added, open around the clock.

use onestop_server::admin::DEMO_CATALOGUE;

/// The service the benchmark's tickets are for.
pub const SERVICE: &str = "MIA-ID-CARD";

/// The code of benchmark centre `i` (0-based): `BENCH-01`, `BENCH-02`, …
pub fn centre_code(i: usize) -> String {
    format!("BENCH-{:02}", i + 1)
}

/// The demo catalogue with `centres` benchmark centres of `windows` windows each appended. Every
/// benchmark centre is in UTC, open every day from 00:00 to 23:59 and on holidays; every window
/// serves the Ministry of Internal Affairs' identity-card and passport services.
pub fn text(centres: usize, windows: u32) -> String {
    let mut text = DEMO_CATALOGUE.trim_end().to_owned();
    text.push('\n');
    for i in 0..centres {
        let code = centre_code(i);
        let lat = 40.0 + i as f64 / 100.0;
        text.push_str(&format!(
            "  - code: {code}\n    kind: centre\n    \
             name: {{az: \"Sınaq mərkəzi {n}\", en: \"Benchmark centre {n}\", ru: \"Тестовый центр {n}\"}}\n    \
             address: {{az: \"Sınaq küçəsi {n}\", en: \"{n} Benchmark Street\", ru: \"Тестовая улица, {n}\"}}\n    \
             location: {{lat: {lat:.3}, lon: 49.8}}\n    time_zone: UTC\n    \
             hours:\n      - {{days: [monday, tuesday, wednesday, thursday, friday, saturday, sunday], \
             open: \"00:00\", close: \"23:59\"}}\n    public_holidays: open\n    floors: [1]\n    windows:\n",
            n = i + 1,
        ));
        for w in 1..=windows {
            text.push_str(&format!(
                "      - {{number: {w}, floor: 1, provider: MIA, services: [MIA-ID-CARD, MIA-PASSPORT]}}\n"
            ));
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_benchmark_catalogue_parses_with_its_centres() {
        let catalogue = onestop_domain::catalogue::parse_catalogue(&text(3, 4)).unwrap();
        let centre = catalogue.centre("BENCH-03").unwrap();
        assert_eq!(centre.windows.len(), 4);
        assert!(centre.windows_for(SERVICE).count() == 4);
        assert!(catalogue.centre("BAKU-1").is_some(), "the demo network stays");
    }
}
