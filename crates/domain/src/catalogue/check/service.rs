//! Checks of a service: references, texts, timeframe, fees and exemption rules, channels.

use std::collections::{BTreeSet, HashMap};

use super::values::{CodeCase, is_code};
use super::{Checker, ProviderFacts};
use crate::calendar::Timeframe;
use crate::catalogue::file::FileService;
use crate::catalogue::model::{
    Document, Exemption, GroupCode, ProviderCode, Sector, Service, ServiceCode, ServiceFees, ServiceKind,
};
use crate::catalogue::node::join;
use crate::fees::Rule;

impl Checker<'_> {
    pub(super) fn service(
        &mut self,
        path: &str,
        s: FileService,
        seen: &mut HashMap<String, String>,
        groups: &BTreeSet<String>,
        providers: &HashMap<String, Option<ProviderFacts>>,
    ) -> Option<Service> {
        let before = self.errors.len();
        self.code(path, &s.code, CodeCase::Upper, "service", seen);
        match providers.get(&s.provider) {
            None => self.error(&join(path, "provider"), format!("unknown provider `{}`", s.provider)),
            Some(Some(facts)) if s.kind == ServiceKind::Public && facts.sector == Sector::Private => self
                .error(
                    &join(path, "kind"),
                    format!(
                        "`{}` is a company; a public service must be rendered by a public entity",
                        s.provider
                    ),
                ),
            Some(_) => {}
        }
        if !groups.contains(&s.group) {
            self.error(&join(path, "group"), format!("unknown group `{}`", s.group));
        }
        let mut events = BTreeSet::new();
        for (i, event) in s.life_events.iter().enumerate() {
            let event_path = format!("{path}.life_events.{i}");
            if !is_code(event, CodeCase::Lower) {
                self.error(
                    &event_path,
                    format!("`{event}` is not a life-event code of lower-case letters, digits and `-`"),
                );
            } else if !events.insert(event.as_str()) {
                self.error(&event_path, format!("`{event}` is listed twice"));
            }
        }
        self.text(&join(path, "name"), &s.name);
        self.text(&join(path, "description"), &s.description);
        for (i, d) in s.documents.iter().enumerate() {
            self.text(&format!("{path}.documents.{i}.name"), &d.name);
            if let Some(notes) = &d.notes {
                self.text(&format!("{path}.documents.{i}.notes"), notes);
            }
        }
        for (i, step) in s.steps.iter().enumerate() {
            self.text(&format!("{path}.steps.{i}"), step);
        }
        let timeframe = match Timeframe::parse(&s.timeframe) {
            Ok(t) => Some(t),
            Err(err) => {
                self.error(&join(path, "timeframe"), format!("malformed timeframe: {err}"));
                None
            }
        };
        if s.handling_minutes == 0 {
            self.error(
                &join(path, "handling_minutes"),
                "the average handling time must be at least one minute",
            );
        }
        for (name, amount) in [("state", s.fees.state), ("service", s.fees.service)] {
            if amount < 0 {
                self.error(
                    &format!("{path}.fees.{name}"),
                    format!("the {name} fee must not be negative, got {amount} (minor units)"),
                );
            }
        }
        if s.fees.state.checked_add(s.fees.service).is_none() {
            self.error(&join(path, "fees"), "the state and service fees together are too large");
        }
        let mut exemptions = Vec::new();
        for (i, e) in s.fees.exemptions.iter().enumerate() {
            let exemption_path = format!("{path}.fees.exemptions.{i}");
            self.text(&join(&exemption_path, "reason"), &e.reason);
            match Rule::parse(&e.rule) {
                Ok(rule) => exemptions.push(Exemption { rule, waives: e.waives, reason: e.reason.clone() }),
                Err(err) => self.error(
                    &join(&exemption_path, "rule"),
                    format!("bad rule `{}` at column {}: {}", e.rule, err.column, err.message),
                ),
            }
        }
        if s.channels.is_empty() {
            self.error(&join(path, "channels"), "a service needs at least one channel");
        }
        let mut channels = Vec::new();
        for (i, channel) in s.channels.iter().enumerate() {
            if channels.contains(channel) {
                self.error(&format!("{path}.channels.{i}"), format!("{channel:?} is listed twice"));
            } else {
                channels.push(*channel);
            }
        }
        if self.errors.len() > before {
            return None;
        }
        Some(Service {
            code: ServiceCode::new(s.code),
            provider: ProviderCode::new(s.provider),
            group: GroupCode::new(s.group),
            life_events: s.life_events,
            kind: s.kind,
            name: s.name,
            description: s.description,
            documents: s.documents.into_iter().map(|d| Document { name: d.name, notes: d.notes }).collect(),
            steps: s.steps,
            timeframe: timeframe?,
            handling_minutes: s.handling_minutes,
            fees: ServiceFees {
                state: s.fees.state,
                service: s.fees.service,
                exemptions,
                source: s.fees.source,
            },
            channels,
            source: s.source,
        })
    }
}
