//! Image actions: `POST /v2/images/{id}/actions/deactivate|reactivate` (B217–B225, since 2.3).
//!
//! Only an active image can be deactivated and only a deactivated one reactivated; repeating
//! either is a no-op 204 (B218, B219); any other status is refused with 403, as Glance does
//! (B220; the api-ref lists 400/403/404). Who may act follows Glance's released (legacy) policy
//! defaults: the owner or an admin (B224, research §3 item 26).

use axum::response::Response;

use super::errors::{ApiError, ApiResult};
use super::images::readable_mut;
use super::policy;
use super::request::{self, Ctx};
use super::state::{now, AppState, Status};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Deactivate,
    Reactivate,
}

impl Action {
    /// The action named by the last path segment; `None` for an unknown action (404, B222).
    pub fn parse(segment: &str) -> Option<Action> {
        match segment {
            "deactivate" => Some(Action::Deactivate),
            "reactivate" => Some(Action::Reactivate),
            _ => None,
        }
    }

    /// The status the action leads to, from a status it may start in.
    fn transition(self, from: Status) -> Option<Status> {
        match (self, from) {
            (Action::Deactivate, Status::Active | Status::Deactivated) => Some(Status::Deactivated),
            (Action::Reactivate, Status::Active | Status::Deactivated) => Some(Status::Active),
            _ => None,
        }
    }

    fn verb(self) -> &'static str {
        match self {
            Action::Deactivate => "deactivate",
            Action::Reactivate => "reactivate",
        }
    }
}

/// Runs `action` on image `id`: 204, or 400 (a body), 404, 403 (not owner, wrong status).
pub fn run(app: &AppState, ctx: &Ctx, id: &str, action: Action) -> ApiResult<Response> {
    ctx.reject_body()?;
    let mut store = app.store();
    let image = readable_mut(&mut store, &ctx.caller, id)?;
    if !policy::can_write(&ctx.caller, image) {
        return Err(policy::not_owner());
    }
    let from = image.status;
    let to = action.transition(from).ok_or_else(|| {
        ApiError::forbidden(format!(
            "Not allowed to {} image in status '{}'",
            action.verb(),
            from.as_str()
        ))
    })?;
    if to != from {
        image.status = to;
        image.updated_at = now();
    }
    Ok(request::no_content())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transitions() {
        use Action::*;
        assert_eq!(Action::parse("deactivate"), Some(Deactivate));
        assert_eq!(Action::parse("reactivate"), Some(Reactivate));
        assert_eq!(Action::parse("bogus"), None);
        assert_eq!(
            Deactivate.transition(Status::Active),
            Some(Status::Deactivated)
        );
        assert_eq!(
            Deactivate.transition(Status::Deactivated),
            Some(Status::Deactivated)
        );
        assert_eq!(
            Reactivate.transition(Status::Deactivated),
            Some(Status::Active)
        );
        assert_eq!(Reactivate.transition(Status::Active), Some(Status::Active));
        for from in [
            Status::Queued,
            Status::Saving,
            Status::Uploading,
            Status::Killed,
        ] {
            assert_eq!(Deactivate.transition(from), None);
            assert_eq!(Reactivate.transition(from), None);
        }
    }
}
