//! The three languages of onestop — Azerbaijani (the default), English and Russian — with Fluent.
//!
//! Every user-visible text of pages and messages is a key in `locales/LANG/onestop.ftl`; a test
//! fails when a key used anywhere is missing from a language. The language of a request comes from
//! `?lang=`, else the `onestop_lang` cookie, else `Accept-Language`, else Azerbaijani.

use axum::extract::{FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use axum::middleware::Next;
use axum::response::Response;
use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use onestop_domain::notify::{Message, MessageChannel};
use std::convert::Infallible;

/// The languages, the default first.
pub const LANGUAGES: [&str; 3] = ["az", "en", "ru"];
/// The cookie that remembers a chosen language.
pub const LANG_COOKIE: &str = "onestop_lang";

const SOURCES: [(&str, &str); 3] = [
    ("az", include_str!("../locales/az/onestop.ftl")),
    ("en", include_str!("../locales/en/onestop.ftl")),
    ("ru", include_str!("../locales/ru/onestop.ftl")),
];

/// The message catalogue of every language.
pub struct Catalog {
    bundles: Vec<(&'static str, FluentBundle<FluentResource>)>,
}

impl Default for Catalog {
    fn default() -> Self {
        Self::new()
    }
}

impl Catalog {
    /// Loads the embedded `.ftl` files. A syntax error in one is a bug caught by the tests.
    pub fn new() -> Self {
        let bundles = SOURCES
            .iter()
            .map(|(lang, source)| {
                let resource =
                    FluentResource::try_new((*source).to_owned()).unwrap_or_else(|(res, errors)| {
                        tracing::error!(lang, ?errors, "syntax errors in a locale file");
                        res
                    });
                let id: unic_langid::LanguageIdentifier = lang.parse().expect("a valid language tag");
                let mut bundle = FluentBundle::new_concurrent(vec![id]);
                bundle.set_use_isolating(false);
                bundle.add_resource(resource).expect("keys are unique within a file");
                (*lang, bundle)
            })
            .collect();
        Catalog { bundles }
    }

    fn bundle(&self, lang: &str) -> &FluentBundle<FluentResource> {
        self.bundles.iter().find(|(l, _)| *l == lang).map_or(&self.bundles[0].1, |(_, b)| b)
    }

    /// Whether `key` has a message in `lang`.
    pub fn has(&self, lang: &str, key: &str) -> bool {
        self.bundle(lang).has_message(key)
    }

    /// A message of `area` and `kind` to `to`, in `lang`: an email's subject and body are Fluent
    /// messages `{area}-msg-{kind}-subject` and `-body`, an SMS's text is `{area}-msg-{kind}-sms`;
    /// its outbox topic is `{area}.{kind}`.
    pub fn message(
        &self,
        lang: &str,
        (area, kind): (&str, &str),
        to: (MessageChannel, String),
        args: &[(&str, FluentValue<'_>)],
        record: Option<String>,
    ) -> Message {
        let (channel, recipient) = to;
        let key = |part: &str| format!("{area}-msg-{kind}-{part}");
        let (subject, body) = match channel {
            MessageChannel::Email => {
                (self.text(lang, &key("subject"), args), self.text(lang, &key("body"), args))
            }
            MessageChannel::Sms => (String::new(), self.text(lang, &key("sms"), args)),
        };
        Message { channel, recipient, subject, body, topic: format!("{area}.{kind}"), record }
    }

    /// The message `key` in `lang` with `args`; the key itself (logged) when it is missing.
    pub fn text(&self, lang: &str, key: &str, args: &[(&str, FluentValue<'_>)]) -> String {
        let bundle = self.bundle(lang);
        let Some(pattern) = bundle.get_message(key).and_then(|m| m.value()) else {
            tracing::warn!(lang, key, "untranslated key");
            return key.to_owned();
        };
        let mut fluent_args = FluentArgs::new();
        for (name, value) in args {
            fluent_args.set(*name, value.clone());
        }
        let mut errors = Vec::new();
        let text = bundle.format_pattern(pattern, Some(&fluent_args), &mut errors);
        if !errors.is_empty() {
            tracing::warn!(lang, key, ?errors, "message formatting failed");
        }
        text.into_owned()
    }

    /// The source text of a language's file, for the tests that compare keys.
    #[cfg(test)]
    fn source(lang: &str) -> Option<&'static str> {
        SOURCES.iter().find(|(l, _)| *l == lang).map(|(_, s)| *s)
    }
}

/// The language of the request and where it was made, for pages and the language switch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Locale {
    /// `az`, `en` or `ru`.
    pub lang: &'static str,
    /// The request's path and query without any `lang` parameter.
    pub here: String,
}

impl Default for Locale {
    fn default() -> Self {
        Locale { lang: LANGUAGES[0], here: "/".into() }
    }
}

impl Locale {
    /// The link to the current page in `lang`.
    pub fn switch_to(&self, lang: &str) -> String {
        let sep = if self.here.contains('?') { '&' } else { '?' };
        format!("{}{sep}lang={lang}", self.here)
    }
}

fn known(lang: &str) -> Option<&'static str> {
    LANGUAGES.iter().copied().find(|l| l.eq_ignore_ascii_case(lang))
}

fn from_accept_language(headers: &HeaderMap) -> Option<&'static str> {
    let header = headers.get(header::ACCEPT_LANGUAGE)?.to_str().ok()?;
    let mut choices: Vec<(f32, &'static str)> = header
        .split(',')
        .filter_map(|part| {
            let mut pieces = part.trim().split(';');
            let tag = pieces.next()?.trim();
            let primary = tag.split('-').next()?;
            let quality =
                pieces.find_map(|p| p.trim().strip_prefix("q=")).and_then(|q| q.parse().ok()).unwrap_or(1.0);
            Some((quality, known(primary)?))
        })
        .collect();
    choices.sort_by(|a, b| b.0.total_cmp(&a.0));
    choices.first().map(|(_, l)| *l)
}

/// Middleware: works out the request's language and remembers an explicit choice in a cookie.
pub async fn negotiate(mut request: Request, next: Next) -> Response {
    let uri = request.uri().clone();
    let pairs: Vec<(String, String)> =
        uri.query().and_then(|q| serde_urlencoded::from_str(q).ok()).unwrap_or_default();
    let chosen = pairs.iter().find(|(k, _)| k == "lang").and_then(|(_, v)| known(v));
    let kept: Vec<&(String, String)> = pairs.iter().filter(|(k, _)| k != "lang").collect();
    let here = if kept.is_empty() {
        uri.path().to_owned()
    } else {
        format!("{}?{}", uri.path(), serde_urlencoded::to_string(&kept).unwrap_or_default())
    };
    let lang = chosen
        .or_else(|| crate::auth::cookie(request.headers(), LANG_COOKIE).and_then(|c| known(&c)))
        .or_else(|| from_accept_language(request.headers()))
        .unwrap_or(LANGUAGES[0]);
    request.extensions_mut().insert(Locale { lang, here });
    let mut response = next.run(request).await;
    if let Some(lang) = chosen {
        let cookie = format!("{LANG_COOKIE}={lang}; Path=/; SameSite=Lax; Max-Age=31536000");
        if let Ok(value) = cookie.parse() {
            response.headers_mut().append(header::SET_COOKIE, value);
        }
    }
    response
}

impl<S: Send + Sync> FromRequestParts<S> for Locale {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(parts.extensions.get::<Locale>().cloned().unwrap_or_default())
    }
}

/// Groups the digits of a whole number in threes with `separator`.
fn group(mut n: u64, separator: &str) -> String {
    let mut parts = Vec::new();
    loop {
        if n < 1000 {
            parts.push(n.to_string());
            break;
        }
        parts.push(format!("{:03}", n % 1000));
        n /= 1000;
    }
    parts.reverse();
    parts.join(separator)
}

/// Money in integer minor units, written the way `lang` writes it: `1 234,50 AZN` in Azerbaijani
/// and Russian, `AZN 1,234.50` in English.
pub fn format_money(lang: &str, minor: i64, currency: &str, minor_units: u32) -> String {
    let scale = 10u64.pow(minor_units);
    let sign = if minor < 0 { "-" } else { "" };
    let whole = minor.unsigned_abs() / scale;
    let cents = minor.unsigned_abs() % scale;
    let (thousands, decimal) = if lang == "en" { (",", ".") } else { ("\u{a0}", ",") };
    let mut number = format!("{sign}{}", group(whole, thousands));
    if minor_units > 0 {
        number.push_str(&format!("{decimal}{cents:0width$}", width = minor_units as usize));
    }
    if lang == "en" { format!("{currency}\u{a0}{number}") } else { format!("{number}\u{a0}{currency}") }
}

const MONTHS_EN: [&str; 12] =
    ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/// A day, written the way `lang` writes it: `28.11.2026` in Azerbaijani and Russian, `28 Nov
/// 2026` in English.
pub fn format_date(lang: &str, day: jiff::civil::Date) -> String {
    if lang == "en" {
        format!("{} {} {}", day.day(), MONTHS_EN[(day.month() - 1) as usize], day.year())
    } else {
        format!("{:02}.{:02}.{}", day.day(), day.month(), day.year())
    }
}

/// A moment in a time zone, written the way `lang` writes it: `28.11.2026 13:05` in Azerbaijani and
/// Russian, `28 Nov 2026, 13:05` in English.
pub fn format_datetime(lang: &str, at: jiff::Timestamp, zone: &jiff::tz::TimeZone) -> String {
    let local = at.to_zoned(zone.clone());
    let separator = if lang == "en" { "," } else { "" };
    format!("{}{separator} {:02}:{:02}", format_date(lang, local.date()), local.hour(), local.minute())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_language_has_every_key() {
        let keys = |lang: &str| -> Vec<String> {
            Catalog::source(lang)
                .unwrap_or_default()
                .lines()
                .filter(|l| l.chars().next().is_some_and(|c| c.is_ascii_lowercase()))
                .filter_map(|l| l.split_once(" =").map(|(k, _)| k.trim().to_owned()))
                .collect()
        };
        let reference = keys("en");
        assert!(reference.len() > 20);
        let catalog = Catalog::new();
        for lang in LANGUAGES {
            for key in &reference {
                assert!(catalog.has(lang, key), "{lang} lacks {key}");
            }
            assert_eq!(keys(lang).len(), reference.len(), "{lang} has keys English lacks");
        }
    }

    #[test]
    fn messages_take_arguments() {
        let catalog = Catalog::new();
        let text = catalog.text("en", "signin-throttled", &[("seconds", FluentValue::from(7))]);
        assert!(text.contains('7'), "{text}");
        assert_eq!(catalog.text("en", "no-such-key", &[]), "no-such-key");
    }

    #[test]
    fn money_and_times_follow_the_language() {
        assert_eq!(format_money("az", 123_450, "AZN", 2), "1\u{a0}234,50\u{a0}AZN");
        assert_eq!(format_money("ru", 5, "AZN", 2), "0,05\u{a0}AZN");
        assert_eq!(format_money("en", 123_456_789, "AZN", 2), "AZN\u{a0}1,234,567.89");
        assert_eq!(format_money("en", -1_000, "JPY", 0), "JPY\u{a0}-1,000");
        let zone = jiff::tz::TimeZone::get("Asia/Baku").unwrap();
        let at: jiff::Timestamp = "2026-11-28T09:05:00Z".parse().unwrap();
        assert_eq!(format_datetime("az", at, &zone), "28.11.2026 13:05");
        assert_eq!(format_datetime("en", at, &zone), "28 Nov 2026, 13:05");
    }

    #[test]
    fn accept_language_picks_the_best_known() {
        let mut headers = HeaderMap::new();
        headers.insert(header::ACCEPT_LANGUAGE, "de-DE, ru;q=0.8, en;q=0.9".parse().unwrap());
        assert_eq!(from_accept_language(&headers), Some("en"));
        headers.insert(header::ACCEPT_LANGUAGE, "fr".parse().unwrap());
        assert_eq!(from_accept_language(&headers), None);
        let here = Locale { lang: "az", here: "/staff?page=2".into() };
        assert_eq!(here.switch_to("ru"), "/staff?page=2&lang=ru");
    }
}
