//! The booking's messages in the person's language (Fluent keys `booking-msg-*`): the one-time
//! code, the confirmation and the reminder, by email when an address was given, else by SMS.

use crate::i18n::{Catalog, format_datetime};
use fluent_bundle::FluentValue;
use onestop_domain::catalogue::Catalogue;
use onestop_domain::notify::{Message, MessageChannel};
use onestop_domain::queue::day::zone;
use onestop_store::booking::Appointment;

/// What a message says about an appointment.
pub struct About<'a> {
    /// The reference.
    pub reference: &'a str,
    /// The centre's code.
    pub centre: &'a str,
    /// The service's code.
    pub service: &'a str,
    /// Its start.
    pub starts_at: jiff::Timestamp,
    /// The person's language.
    pub lang: &'a str,
}

impl<'a> About<'a> {
    /// What to say about `a`.
    pub fn of(a: &'a Appointment) -> About<'a> {
        About {
            reference: &a.reference,
            centre: a.centre.as_str(),
            service: a.service.as_str(),
            starts_at: a.starts_at,
            lang: &a.lang,
        }
    }
}

/// Renders message `kind` (`code`, `confirmed` or `reminder`) about `about`, with `extra` arguments.
pub fn render(
    catalog: &Catalog,
    catalogue: &Catalogue,
    kind: &str,
    about: &About<'_>,
    to: (MessageChannel, String),
    extra: &[(&str, FluentValue<'_>)],
) -> Message {
    let fallback = catalogue.country.default_language();
    let lang = about.lang;
    let centre = catalogue.centre(about.centre);
    let centre_name = centre.map_or(about.centre.to_owned(), |c| c.name.get_or(lang, fallback).to_owned());
    let address = centre.map_or(String::new(), |c| c.address.get_or(lang, fallback).to_owned());
    let service_name = catalogue
        .service(about.service)
        .map_or(about.service.to_owned(), |s| s.name.get_or(lang, fallback).to_owned());
    let time = centre.map_or_else(
        || about.starts_at.to_string(),
        |c| format_datetime(lang, about.starts_at, &zone(c, &catalogue.country)),
    );
    let mut args: Vec<(&str, FluentValue<'_>)> = vec![
        ("reference", FluentValue::from(about.reference.to_owned())),
        ("centre", FluentValue::from(centre_name)),
        ("address", FluentValue::from(address)),
        ("service", FluentValue::from(service_name)),
        ("time", FluentValue::from(time)),
    ];
    args.extend(extra.iter().cloned());
    catalog.message(lang, ("booking", kind), to, &args, Some(format!("appointment:{}", about.reference)))
}
