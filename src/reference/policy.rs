//! What a caller may see and change (Glance's legacy policy defaults).
//!
//! An image the caller may not read is reported as missing (404), never as forbidden (B077,
//! B281); 403 is only for images the caller can see but not change.

use super::errors::ApiError;
use super::identity::Caller;
use super::state::{Image, MemberStatus, Visibility};

/// Whether the caller's project owns the image.
pub fn owns(caller: &Caller, image: &Image) -> bool {
    caller.project.is_some() && caller.project == image.owner
}

/// The caller's membership of a shared image, if any.
pub fn membership(caller: &Caller, image: &Image) -> Option<MemberStatus> {
    if image.visibility != Visibility::Shared {
        return None;
    }
    caller
        .project
        .as_ref()
        .and_then(|p| image.members.get(p))
        .map(|m| m.status)
}

/// Show rule: admins read everything; others read public and community images, their own
/// project's images and images shared with them (whatever the membership status).
pub fn can_read(caller: &Caller, image: &Image) -> bool {
    caller.is_admin
        || matches!(image.visibility, Visibility::Public | Visibility::Community)
        || owns(caller, image)
        || membership(caller, image).is_some()
}

/// List rule: admins list everything; others list public and community images, their own
/// project's images, and images shared with them whose membership status matches the
/// `member_status` filter (`None` = any status) (B161, B165, B166, B250–B252).
pub fn can_list(caller: &Caller, image: &Image, member_status: Option<MemberStatus>) -> bool {
    caller.is_admin
        || owns(caller, image)
        || match image.visibility {
            Visibility::Public | Visibility::Community => true,
            Visibility::Private => false,
            Visibility::Shared => membership(caller, image)
                .is_some_and(|s| member_status.is_none_or(|want| want == s)),
        }
}

/// A list without a `visibility` filter leaves out other projects' community images
/// (B161, B255); the owner's own community images stay.
pub fn in_default_list(caller: &Caller, image: &Image) -> bool {
    image.visibility != Visibility::Community || owns(caller, image)
}

/// Write rule for metadata, tags and delete: admin or owner (B117, B126, B143).
pub fn can_write(caller: &Caller, image: &Image) -> bool {
    caller.is_admin || owns(caller, image)
}

/// Adding and removing members is for the owner (or an admin); a member may not even remove
/// itself (B232, B234, B247).
pub fn may_manage_members(caller: &Caller, image: &Image) -> bool {
    can_write(caller, image)
}

/// Only the member project answers a share (an admin may too); the owner may not (B242, B244).
pub fn may_answer(caller: &Caller, member_id: &str) -> bool {
    caller.is_admin || caller.project.as_deref() == Some(member_id)
}

/// Owners and admins see every member entry; a member sees only its own (B238, B241).
pub fn sees_member(caller: &Caller, image: &Image, member_id: &str) -> bool {
    may_manage_members(caller, image) || caller.project.as_deref() == Some(member_id)
}

/// Glance's refusal by a named policy rule.
pub fn not_authorized(rule: &str) -> ApiError {
    ApiError::forbidden(format!("You are not authorized to complete {rule} action."))
}

/// `add_image`: anyone under the legacy defaults (`rule:default`); under secure RBAC an
/// administrator or a project member.
pub fn may_create(caller: &Caller, secure_rbac: bool) -> bool {
    !secure_rbac || caller.is_admin || caller.has_role("member")
}

/// `delete_image_location`: anyone who may change the image under the legacy defaults; only an
/// administrator under secure RBAC.
pub fn may_delete_location(caller: &Caller, secure_rbac: bool) -> bool {
    !secure_rbac || caller.is_admin
}

pub fn not_owner() -> ApiError {
    ApiError::forbidden("You do not own this image.")
}

/// `publicize_image` is `role:admin`: a noauth context (admin flag, no roles) is denied like
/// on Glance (B056).
pub fn may_publicize(caller: &Caller) -> bool {
    caller.has_role("admin")
}

pub fn publicize_denied() -> ApiError {
    ApiError::forbidden("You are not authorized to complete publicize_image action.")
}

/// Setting `owner` to something else than the caller's project is admin-only (B065, B113).
pub fn may_set_owner(caller: &Caller, owner: Option<&str>) -> bool {
    caller.is_admin || (owner.is_some() && owner == caller.project.as_deref())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reference::state::{now, Member};

    fn image(owner: Option<&str>, vis: Visibility) -> Image {
        let mut i = Image::new("i".into(), 1, now());
        i.owner = owner.map(str::to_string);
        i.visibility = vis;
        i
    }

    fn member(project: &str) -> Caller {
        Caller::confirmed(Some(project.into()), None, vec!["member".into()])
    }

    #[test]
    fn read_rules() {
        let a = member("A");
        let b = member("B");
        for vis in Visibility::ALL {
            assert!(can_read(&a, &image(Some("A"), vis)));
            assert!(can_read(&Caller::noauth(), &image(Some("A"), vis)));
        }
        assert!(can_read(&b, &image(Some("A"), Visibility::Public)));
        assert!(can_read(&b, &image(Some("A"), Visibility::Community)));
        assert!(!can_read(&b, &image(Some("A"), Visibility::Private)));
        let mut shared = image(Some("A"), Visibility::Shared);
        assert!(!can_read(&b, &shared));
        shared.members.insert("B".into(), Member::pending(now()));
        assert_eq!(membership(&b, &shared), Some(MemberStatus::Pending));
        assert!(can_read(&b, &shared));
        shared.visibility = Visibility::Private;
        assert!(!can_read(&b, &shared));
    }

    #[test]
    fn write_and_publicize_rules() {
        let a = member("A");
        assert!(can_write(&a, &image(Some("A"), Visibility::Private)));
        assert!(!can_write(&a, &image(Some("B"), Visibility::Public)));
        assert!(!can_write(&a, &image(None, Visibility::Public)));
        assert!(can_write(
            &Caller::noauth(),
            &image(Some("B"), Visibility::Public)
        ));
        assert!(!may_publicize(&a));
        assert!(!may_publicize(&Caller::noauth()));
        assert!(may_publicize(&Caller::confirmed(
            None,
            None,
            vec!["admin".into()]
        )));
        assert!(may_set_owner(&a, Some("A")));
        assert!(!may_set_owner(&a, Some("B")));
        assert!(!may_set_owner(&a, None));
        assert!(may_set_owner(&Caller::noauth(), Some("X")));
    }

    #[test]
    fn list_rules() {
        let (a, b) = (member("A"), member("B"));
        let accepted = Some(MemberStatus::Accepted);
        assert!(can_list(
            &a,
            &image(Some("A"), Visibility::Private),
            accepted
        ));
        assert!(!can_list(&b, &image(Some("A"), Visibility::Private), None));
        assert!(can_list(
            &b,
            &image(Some("A"), Visibility::Public),
            accepted
        ));
        let mut shared = image(Some("A"), Visibility::Shared);
        assert!(!can_list(&b, &shared, None));
        shared.members.insert("B".into(), Member::pending(now()));
        assert!(!can_list(&b, &shared, accepted));
        assert!(can_list(&b, &shared, Some(MemberStatus::Pending)));
        assert!(can_list(&b, &shared, None));
        assert!(can_list(&Caller::noauth(), &shared, accepted));
        let community = image(Some("A"), Visibility::Community);
        assert!(in_default_list(&a, &community));
        assert!(!in_default_list(&b, &community));
        assert!(!in_default_list(&Caller::noauth(), &community));
        assert!(in_default_list(&b, &shared));
    }

    #[test]
    fn member_rules() {
        let (a, b, c) = (member("A"), member("B"), member("C"));
        let img = image(Some("A"), Visibility::Shared);
        assert!(may_manage_members(&a, &img));
        assert!(!may_manage_members(&b, &img));
        assert!(may_manage_members(&Caller::noauth(), &img));
        assert!(may_answer(&b, "B"));
        assert!(!may_answer(&a, "B"));
        assert!(!may_answer(&c, "B"));
        assert!(may_answer(&Caller::noauth(), "B"));
        assert!(sees_member(&a, &img, "B"));
        assert!(sees_member(&b, &img, "B"));
        assert!(!sees_member(&b, &img, "C"));
    }
}
