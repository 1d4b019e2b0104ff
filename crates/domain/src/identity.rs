//! Who may do what: staff roles and their scopes, device tokens, and the one permission check
//! every handler goes through ([`authorize`]).
//!
//! A staff member holds one role, scoped as the role demands: an officer to one provider at one
//! centre, a centre manager, info-desk clerk, bank teller or volunteer to one centre; agency
//! admins, monitoring analysts, call-centre operators and commission members to the whole network.
//! Devices (kiosks, hall and window displays, feedback tablets, payment terminals, integrations)
//! authenticate with bearer tokens scoped to a centre and, for some, a window.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A staff role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Runs the agency's system: everything, everywhere.
    AgencyAdmin,
    /// Manages one centre: its staff, devices and day.
    CentreManager,
    /// Checks documents and issues tickets at one centre's information desk.
    InfoDesk,
    /// Serves citizens at a window for one provider at one centre.
    Officer,
    /// Takes payments at one centre's bank section.
    BankTeller,
    /// Reads all statistics, complaints and the audit trail; changes nothing operational.
    MonitoringAnalyst,
    /// Answers the call centre: inquiries, complaints, home-service orders.
    CallCentreOperator,
    /// Helps citizens at one centre's information desk.
    Volunteer,
    /// Scores ideas submitted to the Bank of Ideas.
    CommissionMember,
}

/// Where a role's scope lies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reach {
    /// The whole network.
    Network,
    /// One centre.
    Centre,
    /// One provider at one centre.
    ProviderAtCentre,
}

impl Role {
    /// Every role, in a stable order.
    pub const ALL: [Role; 9] = [
        Role::AgencyAdmin,
        Role::CentreManager,
        Role::InfoDesk,
        Role::Officer,
        Role::BankTeller,
        Role::MonitoringAnalyst,
        Role::CallCentreOperator,
        Role::Volunteer,
        Role::CommissionMember,
    ];

    /// The role's name in the API, the CLI and the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::AgencyAdmin => "agency_admin",
            Role::CentreManager => "centre_manager",
            Role::InfoDesk => "info_desk",
            Role::Officer => "officer",
            Role::BankTeller => "bank_teller",
            Role::MonitoringAnalyst => "monitoring_analyst",
            Role::CallCentreOperator => "call_centre_operator",
            Role::Volunteer => "volunteer",
            Role::CommissionMember => "commission_member",
        }
    }

    /// How far the role reaches.
    pub fn reach(self) -> Reach {
        match self {
            Role::AgencyAdmin
            | Role::MonitoringAnalyst
            | Role::CallCentreOperator
            | Role::CommissionMember => Reach::Network,
            Role::CentreManager | Role::InfoDesk | Role::BankTeller | Role::Volunteer => Reach::Centre,
            Role::Officer => Reach::ProviderAtCentre,
        }
    }

    /// The permissions the role grants, within its scope.
    pub fn grants(self, permission: Permission) -> bool {
        use Permission as P;
        match permission {
            P::UseStaffArea | P::ChangeOwnPassword => true,
            P::Identify => true,
            P::ReadStaff | P::ManageStaff | P::ManageDevices => {
                matches!(self, Role::AgencyAdmin | Role::CentreManager)
            }
            P::ReadAudit => matches!(self, Role::AgencyAdmin | Role::MonitoringAnalyst),
            P::RevealPersonalData | P::ManageRegistry => matches!(self, Role::AgencyAdmin),
            P::IssueTicket => matches!(self, Role::AgencyAdmin | Role::CentreManager | Role::InfoDesk),
            P::ServeAtWindow => matches!(self, Role::AgencyAdmin | Role::Officer),
            P::ReturnParkedTicket => matches!(
                self,
                Role::AgencyAdmin | Role::CentreManager | Role::InfoDesk | Role::Officer | Role::BankTeller
            ),
            P::CloseQueueDay => matches!(self, Role::AgencyAdmin | Role::CentreManager),
            P::WatchQueue => !matches!(self, Role::CommissionMember),
            P::ReadTicketHolder => {
                matches!(self, Role::AgencyAdmin | Role::CentreManager | Role::InfoDesk | Role::Officer)
            }
            P::RateService => false,
            P::RegisterComplaint => matches!(
                self,
                Role::AgencyAdmin
                    | Role::CentreManager
                    | Role::InfoDesk
                    | Role::MonitoringAnalyst
                    | Role::CallCentreOperator
            ),
            P::HandleComplaints => matches!(self, Role::AgencyAdmin | Role::MonitoringAnalyst),
            P::ReadComplaints => {
                matches!(self, Role::AgencyAdmin | Role::MonitoringAnalyst | Role::CallCentreOperator)
            }
            P::ReadFeedback => {
                matches!(self, Role::AgencyAdmin | Role::MonitoringAnalyst | Role::CentreManager)
            }
            P::ScoreIdeas => matches!(self, Role::AgencyAdmin | Role::CommissionMember),
            P::ManageSurveys => matches!(self, Role::AgencyAdmin | Role::MonitoringAnalyst),
            P::BookForCitizen => matches!(
                self,
                Role::AgencyAdmin | Role::CentreManager | Role::InfoDesk | Role::CallCentreOperator
            ),
            P::CheckInAppointment => {
                matches!(self, Role::AgencyAdmin | Role::CentreManager | Role::InfoDesk)
            }
            P::ReadStatistics => {
                matches!(self, Role::AgencyAdmin | Role::MonitoringAnalyst | Role::CentreManager)
            }
            P::AppraiseOfficers => matches!(self, Role::AgencyAdmin | Role::CentreManager),
            P::ManageMonitoring => matches!(self, Role::AgencyAdmin | Role::MonitoringAnalyst),
            P::AcceptApplication => matches!(self, Role::Officer),
            P::ActOnApplication => matches!(self, Role::Officer | Role::CentreManager | Role::InfoDesk),
            P::ReadApplications => !matches!(self, Role::Volunteer | Role::CommissionMember),
            // Money never passes through an officer's (or anyone else's) hands: only the bank
            // section takes it.
            P::TakePayment | P::ExecuteRefund => matches!(self, Role::BankTeller),
            P::RequestRefund => {
                matches!(self, Role::Officer | Role::InfoDesk | Role::CentreManager | Role::BankTeller)
            }
            P::DecideRefund => matches!(self, Role::CentreManager),
            P::ReadPayments => matches!(
                self,
                Role::AgencyAdmin | Role::CentreManager | Role::BankTeller | Role::MonitoringAnalyst
            ),
            P::PlanStaffing => matches!(self, Role::AgencyAdmin | Role::CentreManager),
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A role name that is not one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown role {0:?}: use one of agency_admin, centre_manager, info_desk, officer, bank_teller, monitoring_analyst, call_centre_operator, volunteer, commission_member"
)]
pub struct UnknownRole(pub String);

impl FromStr for Role {
    type Err = UnknownRole;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL.into_iter().find(|r| r.as_str() == s).ok_or_else(|| UnknownRole(s.to_owned()))
    }
}

/// The centre and provider a staff member or device is bound to.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scope {
    /// The centre's code, for centre-bound roles and devices.
    pub centre: Option<String>,
    /// The provider's code, for officers.
    pub provider: Option<String>,
    /// The window's number, for window-bound devices.
    pub window: Option<String>,
}

/// Why a role and scope do not fit together.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScopeError {
    /// The role needs a centre.
    #[error("a {0} must be bound to a centre (--centre)")]
    CentreRequired(Role),
    /// The role needs a provider.
    #[error("a {0} must be bound to a provider (--provider)")]
    ProviderRequired(Role),
    /// The role works network-wide and takes no centre.
    #[error("a {0} works across the network and takes no centre")]
    NoCentre(Role),
    /// Only officers are bound to a provider.
    #[error("only an officer is bound to a provider, not a {0}")]
    NoProvider(Role),
    /// A code is empty or has characters other than letters, digits, `-` and `_`.
    #[error("{0:?} is not a code: use letters, digits, '-' and '_' (at most 40)")]
    BadCode(String),
}

/// Checks a code of a centre, provider or window.
pub fn check_code(code: &str) -> Result<(), ScopeError> {
    let ok = !code.is_empty()
        && code.len() <= 40
        && code.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if ok { Ok(()) } else { Err(ScopeError::BadCode(code.to_owned())) }
}

/// Checks a login: 3 to 40 characters, lower-case letters, digits, `.`, `-` and `_`.
pub fn check_login(login: &str) -> Result<(), String> {
    let ok = (3..=40).contains(&login.len())
        && login.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b));
    if ok {
        Ok(())
    } else {
        Err(format!("{login:?} is not a login: use 3 to 40 lower-case letters, digits, '.', '-' and '_'"))
    }
}

/// The centre code no centre holds: the scope of network-wide accounts in [`staff_target`].
pub const NETWORK: &str = "*";

/// The target of an action on a staff account with `scope`: its centre, or for a network-wide
/// account [`NETWORK`], so that only network-wide principals may act on network-wide accounts.
pub fn staff_target(scope: &Scope) -> Target<'_> {
    Target { centre: Some(scope.centre.as_deref().unwrap_or(NETWORK)), provider: None, window: None }
}

/// Checks that a staff member's scope fits their role.
pub fn check_staff_scope(role: Role, scope: &Scope) -> Result<(), ScopeError> {
    for code in [&scope.centre, &scope.provider].into_iter().flatten() {
        check_code(code)?;
    }
    match role.reach() {
        Reach::Network if scope.centre.is_some() => Err(ScopeError::NoCentre(role)),
        Reach::Network | Reach::Centre if scope.provider.is_some() => Err(ScopeError::NoProvider(role)),
        Reach::Centre | Reach::ProviderAtCentre if scope.centre.is_none() => {
            Err(ScopeError::CentreRequired(role))
        }
        Reach::ProviderAtCentre if scope.provider.is_none() => Err(ScopeError::ProviderRequired(role)),
        _ => Ok(()),
    }
}

/// The kind of a device token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeviceKind {
    /// A self-service ticket kiosk.
    Kiosk,
    /// A hall display, or a window display when bound to a window.
    Display,
    /// A feedback tablet at a window.
    Tablet,
    /// A payment terminal at a bank section.
    Terminal,
    /// Another system calling the API on a centre's behalf.
    Integration,
}

impl DeviceKind {
    /// Every kind.
    pub const ALL: [DeviceKind; 5] = [
        DeviceKind::Kiosk,
        DeviceKind::Display,
        DeviceKind::Tablet,
        DeviceKind::Terminal,
        DeviceKind::Integration,
    ];

    /// The kind's name in the CLI and the database.
    pub fn as_str(self) -> &'static str {
        match self {
            DeviceKind::Kiosk => "kiosk",
            DeviceKind::Display => "display",
            DeviceKind::Tablet => "tablet",
            DeviceKind::Terminal => "terminal",
            DeviceKind::Integration => "integration",
        }
    }

    /// The permissions a device of this kind holds, within its centre (and window).
    pub fn grants(self, permission: Permission) -> bool {
        use Permission as P;
        match self {
            DeviceKind::Kiosk => {
                matches!(permission, P::Identify | P::IssueTicket | P::WatchQueue | P::CheckInAppointment)
            }
            DeviceKind::Display => matches!(permission, P::Identify | P::WatchQueue | P::ReadTicketHolder),
            DeviceKind::Tablet => matches!(permission, P::Identify | P::WatchQueue | P::RateService),
            DeviceKind::Terminal => {
                matches!(permission, P::Identify | P::ReturnParkedTicket | P::TakePayment)
            }
            DeviceKind::Integration => {
                matches!(
                    permission,
                    P::Identify
                        | P::IssueTicket
                        | P::WatchQueue
                        | P::ReturnParkedTicket
                        | P::CheckInAppointment
                )
            }
        }
    }
}

impl fmt::Display for DeviceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for DeviceKind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        DeviceKind::ALL.into_iter().find(|k| k.as_str() == s).ok_or_else(|| {
            format!("unknown device kind {s:?}: use kiosk, display, tablet, terminal or integration")
        })
    }
}

/// Checks a device token's scope: every device belongs to a centre; a tablet also to a window.
pub fn check_device_scope(kind: DeviceKind, scope: &Scope) -> Result<(), String> {
    let Some(centre) = &scope.centre else {
        return Err(format!("a {kind} token must be bound to a centre (--centre)"));
    };
    check_code(centre).map_err(|e| e.to_string())?;
    if scope.provider.is_some() {
        return Err(format!("a {kind} token is not bound to a provider"));
    }
    match (&scope.window, kind) {
        (None, DeviceKind::Tablet) => Err("a tablet token must be bound to a window (--window)".into()),
        (Some(_), DeviceKind::Kiosk | DeviceKind::Terminal | DeviceKind::Integration) => {
            Err(format!("a {kind} token serves a whole centre and takes no window"))
        }
        (Some(window), _) => check_code(window).map_err(|e| e.to_string()),
        (None, _) => Ok(()),
    }
}

/// An action that needs permission. Later capabilities add theirs here and in the grant tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Permission {
    /// Tell the caller who they are.
    Identify,
    /// Open the staff area.
    UseStaffArea,
    /// Change one's own password.
    ChangeOwnPassword,
    /// List staff accounts.
    ReadStaff,
    /// Create, suspend and reactivate staff accounts, reset passwords, end sessions.
    ManageStaff,
    /// Issue and revoke device tokens.
    ManageDevices,
    /// Read the audit trail.
    ReadAudit,
    /// See national ID numbers and phone numbers unmasked.
    RevealPersonalData,
    /// Change the registry: import a catalogue, edit or remove services.
    ManageRegistry,
    /// Issue queue tickets (at the info desk, or as a kiosk).
    IssueTicket,
    /// Sign in to a window and serve its queue: call, recall, start, no-show, park, transfer, finish.
    ServeAtWindow,
    /// Send a parked ticket back to its window's queue (e.g. when the fee was paid).
    ReturnParkedTicket,
    /// Close a centre's queue for the day.
    CloseQueueDay,
    /// Follow a centre's live queue events (screens, consoles).
    WatchQueue,
    /// Read a ticket's holder (name, masked national ID) beside its public details.
    ReadTicketHolder,
    /// Rate the service just finished at the device's window (feedback tablets only).
    RateService,
    /// Register a complaint or suggestion on someone's behalf (call centre, paper journal, social
    /// networks).
    RegisterComplaint,
    /// Assign, answer and close complaints: the monitoring department.
    HandleComplaints,
    /// Read complaints with the complainant's contact details.
    ReadComplaints,
    /// Read rating comments and each officer's satisfaction rate.
    ReadFeedback,
    /// Score ideas of the Bank of Ideas and decide on them: the commission.
    ScoreIdeas,
    /// Define and publish surveys and read their results.
    ManageSurveys,
    /// Book an appointment on a citizen's behalf through the call centre or the info desk (their
    /// channels' shares of capacity, without the proof-of-work challenge).
    BookForCitizen,
    /// Check an appointment in at a kiosk or the info desk, turning it into a queue ticket.
    CheckInAppointment,
    /// Read statistics, dashboards, officers' appraisals, reports and the Index (centre managers:
    /// their centre's).
    ReadStatistics,
    /// Comment on officers' appraisals (centre managers: their centre's officers).
    AppraiseOfficers,
    /// Run the monitoring department's work: fold statistics now, give complaint verdicts, enter
    /// the Index's manual inputs, compute the Index and produce reports.
    ManageMonitoring,
    /// Accept a ticket's documents at a window, creating an application and its bill.
    AcceptApplication,
    /// Take a workflow action on an application (the workflow decides which role may take which).
    ActOnApplication,
    /// Read applications with the applicant's details.
    ReadApplications,
    /// Record a payment of a bill: the bank section and payment terminals only, never an officer.
    TakePayment,
    /// Ask for a refund on a paid bill.
    RequestRefund,
    /// Approve or decline a refund: the centre manager.
    DecideRefund,
    /// Pay an approved refund out: the bank section.
    ExecuteRefund,
    /// Read bills, refunds and the daily reconciliation of a centre.
    ReadPayments,
    /// See a centre's recommended staffing against its current one: centre managers.
    PlanStaffing,
}

/// Who is asking.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    /// A signed-in staff member.
    Staff(StaffPrincipal),
    /// A device holding a token.
    Device(DevicePrincipal),
}

/// A signed-in staff member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffPrincipal {
    /// The account's id.
    pub user_id: i64,
    /// The account's login.
    pub login: String,
    /// The account's role.
    pub role: Role,
    /// The account's scope.
    pub scope: Scope,
}

/// A device holding a token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DevicePrincipal {
    /// The token's id.
    pub token_id: i64,
    /// The device's kind.
    pub kind: DeviceKind,
    /// The device's scope.
    pub scope: Scope,
}

impl Principal {
    /// How the audit trail names this principal: `staff:LOGIN` or `device:ID`.
    pub fn actor(&self) -> String {
        match self {
            Principal::Staff(s) => format!("staff:{}", s.login),
            Principal::Device(d) => format!("device:{}", d.token_id),
        }
    }

    /// The role (or device kind) the audit trail records.
    pub fn role_name(&self) -> &'static str {
        match self {
            Principal::Staff(s) => s.role.as_str(),
            Principal::Device(d) => d.kind.as_str(),
        }
    }

    /// The principal's scope.
    pub fn scope(&self) -> &Scope {
        match self {
            Principal::Staff(s) => &s.scope,
            Principal::Device(d) => &d.scope,
        }
    }
}

/// What an action touches, for scope checks. Empty fields are not checked.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Target<'a> {
    /// The centre the record belongs to.
    pub centre: Option<&'a str>,
    /// The provider the record belongs to.
    pub provider: Option<&'a str>,
    /// The window the record belongs to.
    pub window: Option<&'a str>,
}

impl Target<'_> {
    /// A target with no scope: the permission alone decides.
    pub const ANY: Target<'static> = Target { centre: None, provider: None, window: None };
}

/// Why a request was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Denial {
    /// Nobody is signed in.
    #[error("sign in first")]
    Unauthenticated,
    /// The principal lacks the permission.
    #[error("your role may not do this")]
    NotPermitted,
    /// The principal has the permission, but not for this centre, provider or window.
    #[error("this belongs to another {0}")]
    OutOfScope(&'static str),
}

/// The one permission check: may `principal` take `permission` on `target`?
pub fn authorize(
    principal: Option<&Principal>,
    permission: Permission,
    target: Target<'_>,
) -> Result<(), Denial> {
    let principal = principal.ok_or(Denial::Unauthenticated)?;
    let granted = match principal {
        Principal::Staff(s) => s.role.grants(permission),
        Principal::Device(d) => d.kind.grants(permission),
    };
    if !granted {
        return Err(Denial::NotPermitted);
    }
    let scope = principal.scope();
    let outside =
        |mine: &Option<String>, theirs: Option<&str>| matches!((mine, theirs), (Some(m), Some(t)) if m != t);
    if outside(&scope.centre, target.centre) {
        return Err(Denial::OutOfScope("centre"));
    }
    if outside(&scope.provider, target.provider) {
        return Err(Denial::OutOfScope("provider"));
    }
    if outside(&scope.window, target.window) {
        return Err(Denial::OutOfScope("window"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn staff(role: Role, centre: Option<&str>, provider: Option<&str>) -> Principal {
        Principal::Staff(StaffPrincipal {
            user_id: 1,
            login: "x".into(),
            role,
            scope: Scope { centre: centre.map(Into::into), provider: provider.map(Into::into), window: None },
        })
    }

    #[test]
    fn role_names_round_trip() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>(), Ok(role));
        }
        assert!("admin".parse::<Role>().is_err());
        for kind in DeviceKind::ALL {
            assert_eq!(kind.as_str().parse::<DeviceKind>(), Ok(kind));
        }
    }

    #[test]
    fn scopes_fit_roles() {
        let scope = |c: Option<&str>, p: Option<&str>| Scope {
            centre: c.map(Into::into),
            provider: p.map(Into::into),
            window: None,
        };
        assert_eq!(check_staff_scope(Role::AgencyAdmin, &scope(None, None)), Ok(()));
        assert_eq!(
            check_staff_scope(Role::AgencyAdmin, &scope(Some("B1"), None)),
            Err(ScopeError::NoCentre(Role::AgencyAdmin))
        );
        assert_eq!(
            check_staff_scope(Role::InfoDesk, &scope(None, None)),
            Err(ScopeError::CentreRequired(Role::InfoDesk))
        );
        assert_eq!(
            check_staff_scope(Role::InfoDesk, &scope(Some("B1"), Some("MIA"))),
            Err(ScopeError::NoProvider(Role::InfoDesk))
        );
        assert_eq!(
            check_staff_scope(Role::Officer, &scope(Some("B1"), None)),
            Err(ScopeError::ProviderRequired(Role::Officer))
        );
        assert_eq!(check_staff_scope(Role::Officer, &scope(Some("B1"), Some("MIA"))), Ok(()));
        assert!(matches!(
            check_staff_scope(Role::Officer, &scope(Some("B 1"), Some("MIA"))),
            Err(ScopeError::BadCode(_))
        ));
        assert_eq!(
            check_staff_scope(Role::MonitoringAnalyst, &scope(None, Some("MIA"))),
            Err(ScopeError::NoProvider(Role::MonitoringAnalyst))
        );
    }

    #[test]
    fn device_scopes() {
        let scope = |c: Option<&str>, w: Option<&str>| Scope {
            centre: c.map(Into::into),
            provider: None,
            window: w.map(Into::into),
        };
        assert!(check_device_scope(DeviceKind::Kiosk, &scope(Some("B1"), None)).is_ok());
        assert!(check_device_scope(DeviceKind::Kiosk, &scope(None, None)).is_err());
        assert!(check_device_scope(DeviceKind::Kiosk, &scope(Some("B1"), Some("7"))).is_err());
        assert!(check_device_scope(DeviceKind::Tablet, &scope(Some("B1"), None)).is_err());
        assert!(check_device_scope(DeviceKind::Tablet, &scope(Some("B1"), Some("7"))).is_ok());
        assert!(check_device_scope(DeviceKind::Display, &scope(Some("B1"), Some("7"))).is_ok());
        assert!(check_device_scope(DeviceKind::Display, &scope(Some("B1"), None)).is_ok());
    }

    #[test]
    fn authorize_checks_permission_then_scope() {
        assert_eq!(authorize(None, Permission::UseStaffArea, Target::ANY), Err(Denial::Unauthenticated));
        let manager = staff(Role::CentreManager, Some("B1"), None);
        assert_eq!(
            authorize(Some(&manager), Permission::ManageStaff, Target { centre: Some("B1"), ..Target::ANY }),
            Ok(())
        );
        assert_eq!(
            authorize(Some(&manager), Permission::ManageStaff, Target { centre: Some("B2"), ..Target::ANY }),
            Err(Denial::OutOfScope("centre"))
        );
        assert_eq!(authorize(Some(&manager), Permission::ReadAudit, Target::ANY), Err(Denial::NotPermitted));
        let admin = staff(Role::AgencyAdmin, None, None);
        assert_eq!(
            authorize(Some(&admin), Permission::ManageStaff, Target { centre: Some("B2"), ..Target::ANY }),
            Ok(())
        );
        let analyst = staff(Role::MonitoringAnalyst, None, None);
        assert_eq!(authorize(Some(&analyst), Permission::ReadAudit, Target::ANY), Ok(()));
        assert_eq!(
            authorize(Some(&analyst), Permission::ManageStaff, Target::ANY),
            Err(Denial::NotPermitted)
        );
        let officer = staff(Role::Officer, Some("B1"), Some("MIA"));
        assert_eq!(
            authorize(
                Some(&officer),
                Permission::UseStaffArea,
                Target { centre: Some("B1"), provider: Some("DSX"), window: None }
            ),
            Err(Denial::OutOfScope("provider"))
        );
        let kiosk = Principal::Device(DevicePrincipal {
            token_id: 3,
            kind: DeviceKind::Kiosk,
            scope: Scope { centre: Some("B1".into()), ..Scope::default() },
        });
        assert_eq!(authorize(Some(&kiosk), Permission::Identify, Target::ANY), Ok(()));
        assert_eq!(authorize(Some(&kiosk), Permission::UseStaffArea, Target::ANY), Err(Denial::NotPermitted));
        assert_eq!(kiosk.actor(), "device:3");
    }

    #[test]
    fn centre_managers_manage_only_their_centre() {
        let manager = staff(Role::CentreManager, Some("B1"), None);
        let admin = staff(Role::AgencyAdmin, None, None);
        let own = Scope { centre: Some("B1".into()), ..Scope::default() };
        let other = Scope { centre: Some("B2".into()), ..Scope::default() };
        let network = Scope::default();
        assert_eq!(authorize(Some(&manager), Permission::ManageStaff, staff_target(&own)), Ok(()));
        assert!(authorize(Some(&manager), Permission::ManageStaff, staff_target(&other)).is_err());
        assert!(authorize(Some(&manager), Permission::ManageStaff, staff_target(&network)).is_err());
        assert_eq!(authorize(Some(&admin), Permission::ManageStaff, staff_target(&network)), Ok(()));
        assert!(check_login("rashad.aliyev").is_ok());
        assert!(check_login("Rashad").is_err());
        assert!(check_login("ab").is_err());
    }

    #[test]
    fn only_admins_see_personal_data_and_analysts_change_nothing() {
        for role in Role::ALL {
            assert_eq!(role.grants(Permission::RevealPersonalData), role == Role::AgencyAdmin, "{role}");
        }
        for permission in [Permission::ManageStaff, Permission::ManageDevices] {
            assert!(!Role::MonitoringAnalyst.grants(permission));
        }
    }
}
