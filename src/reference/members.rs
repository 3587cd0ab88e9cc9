//! Image members: `/v2/images/{id}/members` and `/v2/images/{id}/members/{member_id}`
//! (B226–B254).
//!
//! Only `shared` images have members. The owner (or an admin) adds and removes them; only the
//! member project answers (accepts, rejects or returns to pending). Who may see the image at
//! all is decided by [`policy`]: an image the caller cannot read is reported as missing.

use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{json, Value};

use super::errors::{ApiError, ApiResult};
use super::identity::Caller;
use super::policy;
use super::request::{self, Ctx};
use super::state::{format_time, now, AppState, Image, Member, MemberStatus, Store, Visibility};

/// Members an image may have (Glance's `image_member_quota` default, B235).
pub const MEMBER_QUOTA: usize = 128;

/// A member entry as the API shows it.
fn view(image_id: &str, member_id: &str, m: &Member) -> Value {
    json!({
        "member_id": member_id,
        "image_id": image_id,
        "status": m.status.as_str(),
        "created_at": format_time(&m.created_at),
        "updated_at": format_time(&m.updated_at),
        "schema": "/v2/schemas/member",
    })
}

fn image_not_found(id: &str) -> ApiError {
    ApiError::not_found(format!("Image {id} not found."))
}

fn member_not_found(id: &str, member_id: &str) -> ApiError {
    ApiError::not_found(format!(
        "{member_id} not found in the member list of the image {id}."
    ))
}

/// A live image the caller may read (else 404, B234, B239).
fn readable<'a>(store: &'a mut Store, caller: &Caller, id: &str) -> ApiResult<&'a mut Image> {
    store
        .get_live_mut(id)
        .filter(|img| policy::can_read(caller, img))
        .ok_or_else(|| image_not_found(id))
}

/// The `member` of a create body (B228): an object with a non-empty string.
fn member_to_add(body: &Value) -> ApiResult<String> {
    let obj = body.as_object().ok_or_else(|| {
        ApiError::bad_request("Expected a member in the form: {\"member\": \"image_id\"}")
    })?;
    match obj.get("member") {
        None => Err(ApiError::bad_request("Member to be added not specified")),
        Some(Value::String(s)) if s.is_empty() => {
            Err(ApiError::bad_request("Member can't be empty"))
        }
        Some(Value::String(s)) => Ok(s.clone()),
        // The member schema types member_id as a string.
        Some(_) => Err(ApiError::bad_request("Member must be a string")),
    }
}

/// The `status` of an update body: 400 when missing or not one of the three (B243).
fn requested_status(body: &Value) -> ApiResult<&Value> {
    body.as_object()
        .and_then(|o| o.get("status"))
        .ok_or_else(|| ApiError::bad_request("Status not specified"))
}

fn parse_status(value: &Value) -> ApiResult<MemberStatus> {
    value.as_str().and_then(MemberStatus::parse).ok_or_else(|| {
        ApiError::bad_request(
            "Incorrect request: Status must be \"pending\", \"accepted\" or \"rejected\".",
        )
    })
}

/// `POST …/members`: 200 with the new, pending entry (B226–B236).
pub fn create(app: &AppState, ctx: &Ctx, id: &str) -> ApiResult<Response> {
    let member_id = member_to_add(&ctx.json_body()?)?;
    let mut store = app.store();
    let image = readable(&mut store, &ctx.caller, id)?;
    if !policy::may_manage_members(&ctx.caller, image) || image.visibility != Visibility::Shared {
        return Err(ApiError::forbidden(format!(
            "Not allowed to create members for image {id}."
        )));
    }
    if image.members.contains_key(&member_id) {
        return Err(ApiError::conflict(format!(
            "Member {member_id} is duplicated for image {id}"
        )));
    }
    if image.members.len() >= MEMBER_QUOTA {
        return Err(ApiError::too_large(format!(
            "Image member limit exceeded for image {id}: Attempted: {}, Maximum: {MEMBER_QUOTA}",
            image.members.len() + 1
        )));
    }
    let member = Member::pending(now());
    image.members.insert(member_id.clone(), member);
    Ok(request::json(
        StatusCode::OK,
        &view(id, &member_id, &member),
    ))
}

/// `GET …/members`: every entry for the owner, only its own for a member (B237–B240).
pub fn index(app: &AppState, ctx: &Ctx, id: &str) -> ApiResult<Response> {
    ctx.reject_body()?;
    let mut store = app.store();
    let image = readable(&mut store, &ctx.caller, id)?;
    if image.visibility != Visibility::Shared {
        return Err(ApiError::forbidden(format!(
            "Not allowed to list members for image {id}: Only shared images have members."
        )));
    }
    let members: Vec<Value> = image
        .members
        .iter()
        .filter(|(m, _)| policy::sees_member(&ctx.caller, image, m))
        .map(|(m, entry)| view(id, m, entry))
        .collect();
    Ok(request::json(
        StatusCode::OK,
        &json!({"members": members, "schema": "/v2/schemas/members"}),
    ))
}

/// `GET …/members/{member_id}` (B241).
pub fn show(app: &AppState, ctx: &Ctx, id: &str, member_id: &str) -> ApiResult<Response> {
    ctx.reject_body()?;
    let mut store = app.store();
    let image = readable(&mut store, &ctx.caller, id)?;
    if image.visibility != Visibility::Shared {
        return Err(ApiError::not_found("Only shared images have members."));
    }
    let entry = image
        .members
        .get(member_id)
        .filter(|_| policy::sees_member(&ctx.caller, image, member_id))
        .ok_or_else(|| member_not_found(id, member_id))?;
    Ok(request::json(StatusCode::OK, &view(id, member_id, entry)))
}

/// `PUT …/members/{member_id}`: the member answers (B242–B245).
pub fn update(app: &AppState, ctx: &Ctx, id: &str, member_id: &str) -> ApiResult<Response> {
    let body = ctx.json_body()?;
    let status = requested_status(&body)?;
    let mut store = app.store();
    let caller = &ctx.caller;
    let image = readable(&mut store, caller, id)?;
    if image.visibility != Visibility::Shared {
        return Err(ApiError::not_found("Only shared images have members."));
    }
    if !policy::may_answer(caller, member_id) {
        // The owner sees the entry but may not answer for it; anyone else does not see it.
        return Err(if policy::may_manage_members(caller, image) {
            ApiError::forbidden(format!("Not allowed to update members for image {id}."))
        } else {
            member_not_found(id, member_id)
        });
    }
    let entry = image
        .members
        .get_mut(member_id)
        .ok_or_else(|| member_not_found(id, member_id))?;
    entry.status = parse_status(status)?;
    entry.updated_at = now();
    let answered = *entry;
    Ok(request::json(
        StatusCode::OK,
        &view(id, member_id, &answered),
    ))
}

/// `DELETE …/members/{member_id}`: the owner removes a member (B246–B248, B253).
pub fn delete(app: &AppState, ctx: &Ctx, id: &str, member_id: &str) -> ApiResult<Response> {
    ctx.reject_body()?;
    let mut store = app.store();
    let image = readable(&mut store, &ctx.caller, id)?;
    if !policy::may_manage_members(&ctx.caller, image) || image.visibility != Visibility::Shared {
        return Err(ApiError::forbidden(format!(
            "Not allowed to delete members for image {id}."
        )));
    }
    image
        .members
        .remove(member_id)
        .ok_or_else(|| member_not_found(id, member_id))?;
    Ok(request::no_content())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn create_bodies() {
        assert_eq!(member_to_add(&json!({"member": "p"})).unwrap(), "p");
        assert_eq!(
            member_to_add(&json!({"member": "p", "status": "accepted"})).unwrap(),
            "p"
        );
        for bad in [
            json!({}),
            json!({"member": ""}),
            json!({"member": 5}),
            json!([]),
            json!("p"),
        ] {
            assert_eq!(
                member_to_add(&bad).unwrap_err().status,
                StatusCode::BAD_REQUEST,
                "{bad}"
            );
        }
    }

    #[test]
    fn update_bodies() {
        assert!(requested_status(&json!({})).is_err());
        assert!(requested_status(&json!([])).is_err());
        let body = json!({"status": "accepted"});
        let s = requested_status(&body).unwrap();
        assert_eq!(parse_status(s).unwrap(), MemberStatus::Accepted);
        for bad in [json!("ACCEPTED"), json!("bogus"), json!(1), Value::Null] {
            assert!(parse_status(&bad).is_err(), "{bad}");
        }
    }

    /// A request from `project` (`None`: the noauth administrator).
    fn ctx(method: &str, project: Option<&str>, body: Option<Value>) -> Ctx {
        let mut req = axum::http::Request::builder().method(method).uri("/");
        if let Some(p) = project {
            req = req
                .header("x-identity-status", "Confirmed")
                .header("x-project-id", p)
                .header("x-roles", "member");
        }
        let bytes = body.map(|b| b.to_string()).unwrap_or_default();
        let (parts, _) = req.body(()).unwrap().into_parts();
        Ctx::new(&parts, axum::body::Bytes::from(bytes))
    }

    fn status(r: ApiResult<Response>) -> StatusCode {
        r.map_or_else(|e| e.status, |r| r.status())
    }

    #[test]
    fn sharing_flow() {
        let app = AppState::new(Default::default());
        let mut img = Image::new("i".into(), 1, now());
        img.owner = Some("A".into());
        app.store().insert(img);
        let add = |who, member: &str| {
            status(create(
                &app,
                &ctx("POST", who, Some(json!({ "member": member }))),
                "i",
            ))
        };
        let answer = |who, member: &str, s: &str| {
            status(update(
                &app,
                &ctx("PUT", who, Some(json!({ "status": s }))),
                "i",
                member,
            ))
        };
        assert_eq!(add(Some("C"), "C"), StatusCode::NOT_FOUND);
        assert_eq!(add(Some("A"), "B"), StatusCode::OK);
        assert_eq!(add(Some("A"), "B"), StatusCode::CONFLICT);
        assert_eq!(add(Some("B"), "C"), StatusCode::FORBIDDEN);
        assert_eq!(answer(Some("A"), "B", "accepted"), StatusCode::FORBIDDEN);
        assert_eq!(answer(Some("C"), "B", "accepted"), StatusCode::NOT_FOUND);
        assert_eq!(answer(Some("B"), "B", "bogus"), StatusCode::BAD_REQUEST);
        assert_eq!(answer(Some("B"), "B", "accepted"), StatusCode::OK);
        assert_eq!(answer(None, "B", "rejected"), StatusCode::OK);
        let entry = app.store().get_live("i").unwrap().members["B"];
        assert_eq!(entry.status, MemberStatus::Rejected);
        let show = |who, member: &str| status(show(&app, &ctx("GET", who, None), "i", member));
        assert_eq!(show(Some("B"), "B"), StatusCode::OK);
        assert_eq!(show(Some("A"), "X"), StatusCode::NOT_FOUND);
        let remove =
            |who, member: &str| status(delete(&app, &ctx("DELETE", who, None), "i", member));
        assert_eq!(remove(Some("B"), "B"), StatusCode::FORBIDDEN);
        assert_eq!(remove(Some("A"), "B"), StatusCode::NO_CONTENT);
        assert_eq!(remove(Some("A"), "B"), StatusCode::NOT_FOUND);
        assert_eq!(show(Some("B"), "B"), StatusCode::NOT_FOUND);

        app.store().get_live_mut("i").unwrap().visibility = Visibility::Private;
        let list = |who| status(index(&app, &ctx("GET", who, None), "i"));
        assert_eq!(list(Some("A")), StatusCode::FORBIDDEN);
        assert_eq!(list(Some("B")), StatusCode::NOT_FOUND);
        assert_eq!(add(Some("A"), "C"), StatusCode::FORBIDDEN);
    }

    #[test]
    fn member_quota() {
        let app = AppState::new(Default::default());
        app.store().insert(Image::new("i".into(), 1, now()));
        for n in 0..=MEMBER_QUOTA {
            let r = create(
                &app,
                &ctx("POST", None, Some(json!({ "member": format!("p{n}") }))),
                "i",
            );
            let want = if n < MEMBER_QUOTA {
                StatusCode::OK
            } else {
                StatusCode::PAYLOAD_TOO_LARGE
            };
            assert_eq!(status(r), want, "member {n}");
        }
    }

    #[test]
    fn entity_view() {
        let at = now();
        let v = view("i", "p", &Member::pending(at));
        assert_eq!(v["status"], "pending");
        assert_eq!(v["member_id"], "p");
        assert_eq!(v["image_id"], "i");
        assert_eq!(v["created_at"], v["updated_at"]);
        assert_eq!(v["schema"], "/v2/schemas/member");
    }
}
