//! The access hook: which action each route needs on which repository, asked of the policy the
//! server's auth layer attached to the request (`access::RequestAccess`). Without one (no
//! policy configured) every request passes, as before.

use http::request::Parts;
use http::Method;

use crate::access::{Action, DecidedBy, RequestAccess};
use crate::oci::error::{ApiError, ErrorCode};
use crate::oci::reference::{Name, Route};

/// The action a route and method need on the route's repository; `None` for routes without
/// one and for methods the handler refuses anyway.
fn required(route: &Route<'_>, method: &Method) -> Option<Action> {
    let read = matches!(*method, Method::GET | Method::HEAD);
    match route {
        Route::Base | Route::Catalog => None,
        Route::Tags { .. } | Route::Referrers { .. } => read.then_some(Action::Pull),
        Route::Manifest { .. } | Route::Blob { .. } => match *method {
            Method::GET | Method::HEAD => Some(Action::Pull),
            Method::PUT => Some(Action::Push),
            Method::DELETE => Some(Action::Delete),
            _ => None,
        },
        // Cancelling or reading an upload session is part of pushing.
        Route::UploadStart { .. } | Route::Upload { .. } => Some(Action::Push),
    }
}

/// Refuses the request when the policy does not allow it: 401 for anonymous requests (the
/// server adds the challenge), 403 DENIED naming user, action and repository otherwise.
pub(super) fn authorize(
    parts: &Parts,
    route: &Route<'_>,
    name: Option<Name<'_>>,
) -> Result<(), ApiError> {
    let Some(access) = parts.extensions.get::<RequestAccess>() else {
        return Ok(());
    };
    match (route, name) {
        // Anonymous clients are told to log in at `/v2/`, so that clients which then log in
        // learn the challenge; the catalog is open to them when anything is public (filtered).
        (Route::Base, _) if access.user.is_none() && !access.anonymous_token => Err(unauthorized()),
        (Route::Catalog, _) if access.user.is_none() && !access.snapshot.policy.has_anonymous() => {
            Err(unauthorized())
        }
        (_, Some(name)) => match required(route, &parts.method) {
            Some(action) => check(access, action, name),
            None => Ok(()),
        },
        _ => Ok(()),
    }
}

/// Whether the request may do `action` on `name` (true without a policy): for the source of a
/// mount and the catalog's entries.
pub(super) fn allows(parts: &Parts, action: Action, name: Name<'_>) -> bool {
    parts
        .extensions
        .get::<RequestAccess>()
        .is_none_or(|access| access.decide(action, &name).allowed)
}

/// Whether a policy applies to the request (the catalog is filtered only then).
pub(super) fn has_policy(parts: &Parts) -> bool {
    parts.extensions.get::<RequestAccess>().is_some()
}

fn check(access: &RequestAccess, action: Action, name: Name<'_>) -> Result<(), ApiError> {
    let decision = access.decide(action, &name);
    if decision.allowed {
        return Ok(());
    }
    let user = access.subject().name();
    tracing::info!(
        target: crate::server::logging::ACCESS_TARGET,
        user,
        action = action.as_str(),
        repository = name.as_str(),
        decided_by = %access.snapshot.policy.explain(decision.by),
        "access denied"
    );
    if access.user.is_none() {
        return Err(unauthorized());
    }
    let message = match decision.by {
        DecidedBy::TokenScope => format!(
            "the token user {user} logged in with does not allow {action} on {}",
            name.as_str()
        ),
        _ => format!("user {user} may not {action} {}", name.as_str()),
    };
    Err(ApiError::new(ErrorCode::Denied)
        .with_message(message)
        .with_detail(serde_json::json!({
            "user": user,
            "action": action.as_str(),
            "repository": name.as_str(),
        })))
}

fn unauthorized() -> ApiError {
    ApiError::new(ErrorCode::Unauthorized).with_message("authentication required")
}
