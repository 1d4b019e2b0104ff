//! The route table: every route is added here with the access it needs, so the permission guard
//! cannot be forgotten and tests can enumerate every route with its access.

use crate::AppState;
use crate::auth::require;
use axum::http::Method;
use axum::routing::MethodRouter;
use onestop_domain::identity::Permission;
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouter};

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone, signed in or not.
    Public,
    /// Only callers holding the permission (checked by [`require`] before the handler runs).
    Requires(Permission),
}

/// A route and the access it needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteSpec {
    /// The HTTP method.
    pub method: Method,
    /// The path template, e.g. `/admin/staff/{login}/suspend`.
    pub path: String,
    /// Who may call it.
    pub access: Access,
}

/// Builds the router and its inventory together.
pub(crate) struct Table {
    pub(crate) router: OpenApiRouter<AppState>,
    pub(crate) specs: Vec<RouteSpec>,
}

fn guard(access: Access, route: MethodRouter<AppState>) -> MethodRouter<AppState> {
    match access {
        Access::Public => route,
        Access::Requires(permission) => route
            .route_layer(axum::middleware::from_fn(move |request, next| require(permission, request, next))),
    }
}

impl Table {
    pub(crate) fn new(router: OpenApiRouter<AppState>) -> Self {
        Table { router, specs: Vec::new() }
    }

    /// Adds a documented API route (from `utoipa_axum::routes!`).
    pub(crate) fn api(
        mut self,
        access: Access,
        (schemas, paths, route): UtoipaMethodRouter<AppState>,
    ) -> Self {
        for (path, item) in &paths.paths {
            let operations = [
                (Method::GET, item.get.is_some()),
                (Method::POST, item.post.is_some()),
                (Method::PUT, item.put.is_some()),
                (Method::PATCH, item.patch.is_some()),
                (Method::DELETE, item.delete.is_some()),
            ];
            for (method, present) in operations {
                if present {
                    self.specs.push(RouteSpec { method, path: path.clone(), access });
                }
            }
        }
        self.router = self.router.routes((schemas, paths, guard(access, route)));
        self
    }

    /// Adds a page or other undocumented route.
    pub(crate) fn page(
        mut self,
        method: Method,
        path: &str,
        access: Access,
        route: MethodRouter<AppState>,
    ) -> Self {
        self.specs.push(RouteSpec { method, path: path.to_owned(), access });
        self.router = self.router.route(path, guard(access, route));
        self
    }
}
