//! Application workflows as data: states, actions, the roles that may take each action, what an
//! action needs, and a limit in working days per state.
//!
//! The workflows in force are read from YAML ([`Workflows::parse`]); the built-in set is
//! [`Workflows::builtin`] (`workflows.yaml` beside this file, which documents the format). A
//! service uses the workflow that lists it, else the default one. [`Workflow::step`] decides an
//! action: where it leads, or why it is refused.

use crate::identity::Role;
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// The built-in workflows' YAML text.
pub const BUILTIN: &str = include_str!("workflows.yaml");

/// The action that creates an application (it has no `from` state).
pub const ACCEPT: &str = "accept";

/// The action taken at once after [`ACCEPT`] when the applicant has something to pay.
pub const BILL: &str = "bill";

/// What an action needs besides the right state and role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Need {
    /// A reason, stated by the staff member (shown to the applicant).
    Reason,
    /// Every fee bill of the application paid in full.
    Paid,
    /// A delivery ordered and its bill paid in full.
    DeliveryPaid,
}

impl Need {
    /// The need's name in the workflow file and in problems.
    pub fn as_str(self) -> &'static str {
        match self {
            Need::Reason => "reason",
            Need::Paid => "paid",
            Need::DeliveryPaid => "delivery_paid",
        }
    }
}

/// A state of a workflow.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StateDef {
    /// Working days an application may stay in the state before it is overdue there.
    #[serde(default)]
    pub days: Option<u32>,
    /// Whether reaching the state meets the legal deadline (the document is ready or handed over).
    #[serde(default)]
    pub done: bool,
    /// Whether the state ends the application.
    #[serde(default, rename = "final")]
    pub last: bool,
}

/// An action of a workflow.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActionDef {
    /// Its name, e.g. `proceed`.
    pub name: String,
    /// The states it may be taken from.
    pub from: Vec<String>,
    /// The state it leads to.
    pub to: String,
    /// The staff roles that may take it.
    pub roles: Vec<Role>,
    /// What it needs.
    #[serde(default)]
    pub needs: Vec<Need>,
}

/// A workflow: its states and actions.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Workflow {
    /// Its name, stored with each application.
    pub name: String,
    /// Whether services not listed by another workflow use it.
    #[serde(default)]
    pub default: bool,
    /// The state an application starts in.
    pub initial: String,
    /// The services that use it.
    #[serde(default)]
    pub services: Vec<String>,
    /// Its states by name.
    pub states: BTreeMap<String, StateDef>,
    /// Its actions.
    pub actions: Vec<ActionDef>,
}

/// What is known when an action is decided.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StepFacts {
    /// A reason was given.
    pub reason: bool,
    /// Every fee bill is paid in full (true when there is none).
    pub paid: bool,
    /// A delivery is ordered and its bill paid in full.
    pub delivery_paid: bool,
}

/// Why an action is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StepError {
    /// The workflow has no such action.
    #[error("the workflow {workflow} has no action {action:?}")]
    UnknownAction {
        /// The workflow.
        workflow: String,
        /// The action asked for.
        action: String,
    },
    /// The action cannot be taken from the current state.
    #[error("{action} cannot be taken while the application is {state}")]
    WrongState {
        /// The action.
        action: String,
        /// The current state.
        state: String,
    },
    /// The role may not take the action.
    #[error("a {role} may not {action} an application")]
    Role {
        /// The action.
        action: String,
        /// The caller's role.
        role: Role,
    },
    /// Something the action needs is missing.
    #[error("{}", need_text(*.0))]
    Needs(Need),
}

fn need_text(need: Need) -> &'static str {
    match need {
        Need::Reason => "say why: this action needs a reason",
        Need::Paid => "the bill is not paid in full",
        Need::DeliveryPaid => "no delivery is ordered and paid for",
    }
}

/// A decided action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transition<'a> {
    /// The state it leads to.
    pub to: &'a str,
    /// That state's definition.
    pub state: &'a StateDef,
}

impl Workflow {
    /// The action named `name`.
    pub fn action(&self, name: &str) -> Option<&ActionDef> {
        self.actions.iter().find(|a| a.name == name)
    }

    /// The state named `name`.
    pub fn state(&self, name: &str) -> Option<&StateDef> {
        self.states.get(name)
    }

    /// The actions that may be taken from `state`, in the workflow's order.
    pub fn actions_from<'a>(&'a self, state: &'a str) -> impl Iterator<Item = &'a ActionDef> + 'a {
        self.actions.iter().filter(move |a| a.from.iter().any(|f| f == state))
    }

    /// Decides `action` by `role` on an application in `state`: checked in the order action,
    /// state, role, needs.
    pub fn step(
        &self,
        state: &str,
        action: &str,
        role: Role,
        facts: StepFacts,
    ) -> Result<Transition<'_>, StepError> {
        let def = self.action(action).ok_or_else(|| StepError::UnknownAction {
            workflow: self.name.clone(),
            action: action.to_owned(),
        })?;
        if !def.from.iter().any(|f| f == state) {
            return Err(StepError::WrongState { action: action.to_owned(), state: state.to_owned() });
        }
        if !def.roles.contains(&role) {
            return Err(StepError::Role { action: action.to_owned(), role });
        }
        for need in &def.needs {
            let met = match need {
                Need::Reason => facts.reason,
                Need::Paid => facts.paid,
                Need::DeliveryPaid => facts.delivery_paid,
            };
            if !met {
                return Err(StepError::Needs(*need));
            }
        }
        let to_state = self.states.get(&def.to).ok_or_else(|| StepError::UnknownAction {
            workflow: self.name.clone(),
            action: action.to_owned(),
        })?;
        Ok(Transition { to: &def.to, state: to_state })
    }
}

/// The workflows in force.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Workflows {
    all: Vec<Workflow>,
    default: usize,
}

/// Why a workflow file is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("workflows: {0}")]
pub struct WorkflowFileError(pub String);

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    workflows: Vec<Workflow>,
}

impl Workflows {
    /// The built-in workflows.
    pub fn builtin() -> Workflows {
        #[allow(clippy::expect_used)]
        Workflows::parse(BUILTIN).expect("the built-in workflows are valid (a test checks)")
    }

    /// Reads and checks workflows from YAML: unique names, exactly one default, every state an
    /// action or `initial` names exists, unique action names, no action named `accept`, a `bill`
    /// action from the initial state, no action from a final state, and no service listed twice.
    pub fn parse(text: &str) -> Result<Workflows, WorkflowFileError> {
        let file: File = serde_saphyr::from_str(text).map_err(|e| WorkflowFileError(e.to_string()))?;
        let bad = |w: &Workflow, m: String| WorkflowFileError(format!("workflow {:?}: {m}", w.name));
        let mut names = BTreeSet::new();
        let mut services = BTreeSet::new();
        for w in &file.workflows {
            if !names.insert(w.name.as_str()) {
                return Err(WorkflowFileError(format!("workflow {:?} is defined twice", w.name)));
            }
            if !w.states.contains_key(&w.initial) {
                return Err(bad(w, format!("the initial state {:?} is not defined", w.initial)));
            }
            let mut actions = BTreeSet::new();
            for a in &w.actions {
                if a.name == ACCEPT || !actions.insert(a.name.as_str()) {
                    return Err(bad(w, format!("the action {:?} is reserved or defined twice", a.name)));
                }
                if a.roles.is_empty() {
                    return Err(bad(w, format!("the action {:?} names no role", a.name)));
                }
                for s in a.from.iter().chain([&a.to]) {
                    let Some(state) = w.states.get(s) else {
                        return Err(bad(
                            w,
                            format!("the action {:?} names an undefined state {s:?}", a.name),
                        ));
                    };
                    if state.last && a.from.contains(s) {
                        return Err(bad(w, format!("the action {:?} leaves the final state {s:?}", a.name)));
                    }
                }
            }
            if !w.action(BILL).is_some_and(|b| b.from.contains(&w.initial)) {
                return Err(bad(w, format!("it needs a \"bill\" action from {:?}", w.initial)));
            }
            for s in &w.services {
                if !services.insert(s.as_str()) {
                    return Err(bad(w, format!("the service {s:?} is listed by two workflows")));
                }
            }
        }
        let defaults: Vec<usize> =
            file.workflows.iter().enumerate().filter(|(_, w)| w.default).map(|(i, _)| i).collect();
        let [default] = defaults[..] else {
            return Err(WorkflowFileError(format!(
                "exactly one workflow must be the default (found {})",
                defaults.len()
            )));
        };
        Ok(Workflows { all: file.workflows, default })
    }

    /// The workflow of `service`.
    pub fn for_service(&self, service: &str) -> &Workflow {
        self.all.iter().find(|w| w.services.iter().any(|s| s == service)).unwrap_or(&self.all[self.default])
    }

    /// The workflow named `name` (as stored with an application).
    pub fn named(&self, name: &str) -> Option<&Workflow> {
        self.all.iter().find(|w| w.name == name)
    }

    /// Every workflow.
    pub fn all(&self) -> &[Workflow] {
        &self.all
    }
}

impl fmt::Display for Need {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paid() -> StepFacts {
        StepFacts { reason: false, paid: true, delivery_paid: false }
    }

    #[test]
    fn the_builtin_workflows_parse_and_pick_by_service() {
        let w = Workflows::builtin();
        assert_eq!(w.for_service("MIA-PASSPORT").name, "standard");
        assert_eq!(w.for_service("MOJ-NOTARY-POA").name, "same_day");
        assert!(w.named("same_day").is_some());
    }

    #[test]
    fn proceed_waits_for_payment_and_the_role_is_checked() {
        let w = Workflows::builtin();
        let std = w.for_service("MIA-PASSPORT");
        assert_eq!(
            std.step("awaiting_payment", "proceed", Role::Officer, StepFacts::default()),
            Err(StepError::Needs(Need::Paid))
        );
        assert_eq!(
            std.step("awaiting_payment", "proceed", Role::Officer, paid()).map(|t| t.to),
            Ok("in_processing")
        );
        assert_eq!(
            std.step("awaiting_payment", "proceed", Role::BankTeller, paid()),
            Err(StepError::Role { action: "proceed".into(), role: Role::BankTeller })
        );
        assert!(matches!(
            std.step("issued", "proceed", Role::Officer, paid()),
            Err(StepError::WrongState { .. })
        ));
        assert!(matches!(
            std.step("accepted", "fly", Role::Officer, paid()),
            Err(StepError::UnknownAction { .. })
        ));
        assert_eq!(
            std.step("in_processing", "return", Role::Officer, paid()),
            Err(StepError::Needs(Need::Reason))
        );
        let ready = std.step("in_processing", "ready", Role::Officer, paid()).unwrap();
        assert!(ready.state.done && !ready.state.last);
        let names: Vec<&str> = std.actions_from("ready_for_collection").map(|a| a.name.as_str()).collect();
        assert_eq!(names, ["dispatch", "issue"]);
    }

    #[test]
    fn bad_files_are_refused_with_the_cause() {
        let base = |extra: &str| {
            format!(
                "workflows:\n  - name: a\n    default: true\n    initial: s\n    states: {{s: {{}}, t: {{final: true}}}}\n    actions:\n      - {{name: bill, from: [s], to: s, roles: [officer]}}\n{extra}"
            )
        };
        assert!(Workflows::parse(&base("")).is_ok());
        for (extra, cause) in [
            ("      - {name: x, from: [s], to: nowhere, roles: [officer]}\n", "undefined state"),
            ("      - {name: x, from: [t], to: s, roles: [officer]}\n", "final state"),
            ("      - {name: accept, from: [s], to: t, roles: [officer]}\n", "reserved"),
            ("      - {name: x, from: [s], to: t, roles: []}\n", "no role"),
            ("      - {name: x, from: [s], to: t, roles: [wizard]}\n", "wizard"),
        ] {
            let err = Workflows::parse(&base(extra)).unwrap_err();
            assert!(err.0.contains(cause), "{extra}: {err}");
        }
        let no_default = base("").replace("default: true", "default: false");
        assert!(Workflows::parse(&no_default).unwrap_err().0.contains("exactly one"));
    }
}
