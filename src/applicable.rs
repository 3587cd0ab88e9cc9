//! Whether a case's expectation applies to this deployment: rules that turn what would be a
//! false failure into a skip with its reason. A case is written for callers in the roles the
//! API reference assumes (an owner who is a plain member, an admin who holds `admin`, a service
//! user who holds `service`) and for data the target can fetch; when the run's personas or the
//! deployment's configuration contradict that, the case cannot judge the target.

use crate::persona::{Persona, Personas};

/// The feature of a target that inspects uploaded data and refuses data that contradicts the
/// image's `disk_format`. The API does not reveal it, so it is taken as offered unless the run
/// says otherwise (`--without-feature format-inspection`).
pub const FORMAT_INSPECTION: &str = "format-inspection";

/// What a failure of a case that needs [`FORMAT_INSPECTION`] adds to its reason: the
/// deployment option to check.
pub fn format_inspection_hint(requires: &[String]) -> Option<&'static str> {
    requires.iter().any(|r| r == FORMAT_INSPECTION).then_some(
        "the case needs format inspection: check Glance's `[image_format] require_image_format_match` (true refuses data that does not match the disk_format); a deployment that turned it off is certified with --without-feature format-inspection",
    )
}

/// The role each persona must hold for the cases that act as it.
fn required_role(p: Persona) -> Option<&'static str> {
    match p {
        Persona::Admin => Some("admin"),
        Persona::Service => Some("service"),
        _ => None,
    }
}

/// Statuses that mean "this caller may not": the expectation of a refusal.
fn is_refusal(code: u16) -> bool {
    matches!(code, 401 | 403 | 404)
}

/// A persona the case acts as lacks the role the case is written for (an `admin` persona
/// without `admin`, a `service` persona without `service`).
pub fn missing_role<'a>(
    used: impl IntoIterator<Item = &'a Persona>,
    personas: &Personas,
) -> Option<String> {
    for p in used {
        let Some(role) = required_role(*p) else {
            continue;
        };
        let Some(have) = personas.roles(*p) else {
            continue;
        };
        if !personas.holds(*p, role) {
            let have = if have.is_empty() {
                "none".to_string()
            } else {
                have.join(", ")
            };
            return Some(format!(
                "needs persona {} with the `{role}` role; it holds: {have} (give credentials with that role, or --dynamic-personas)",
                p.name()
            ));
        }
    }
    None
}

/// A case's requirement that its owner persona is not an administrator: it proves what the
/// owner sees differently from an administrator (a deactivated image's stores), which no answer
/// can show when the owner holds the admin role (admin-only credentials).
pub const NON_ADMIN_OWNER: &str = "non-admin-owner";

/// Why a case that requires [`NON_ADMIN_OWNER`] cannot run with these personas, if it cannot.
pub fn owner_is_admin(requires: &[String], personas: &Personas) -> Option<String> {
    if !requires.iter().any(|r| r == NON_ADMIN_OWNER) || !personas.holds(Persona::Owner, "admin") {
        return None;
    }
    Some(
        "needs persona owner not to be an administrator: the case contrasts what the owner and an administrator see, and owner holds the admin role (give personas without it: --persona NAME=CLOUD, or --dynamic-personas)".to_string(),
    )
}

/// Answers that mean the caller passed the policy check: success, or the refusal of what it
/// sent (400) or of the resource's state (409) that only a caller let through can get.
fn let_through(code: u16) -> bool {
    (200..300).contains(&code) || matches!(code, 400 | 409)
}

/// A step expects `persona` to be refused, `persona` holds the admin role, and the target let
/// it through: the case proves what a non-administrator may not do, which an administrator
/// may. `expected` is the step's expected statuses.
pub fn admin_was_allowed(
    persona: Persona,
    personas: &Personas,
    expected: Option<&[u16]>,
    got: u16,
) -> Option<String> {
    let expected = expected?;
    if persona == Persona::Admin
        || expected.is_empty()
        || !expected.iter().all(|c| is_refusal(*c))
        || !let_through(got)
        || !personas.holds(persona, "admin")
    {
        return None;
    }
    let codes: Vec<String> = expected.iter().map(u16::to_string).collect();
    Some(format!(
        "needs persona {p} not to be an administrator: the case expects {p} to be refused ({}), but {p} holds the admin role and was let through (answered {got}); give personas without it (--persona NAME=CLOUD, or --dynamic-personas)",
        codes.join(" or "),
        p = persona.name()
    ))
}

/// Glance's web-download refuses a URI its `[import_filtering_opts]` do not allow (scheme,
/// host or port) with 400 "… does not pass filtering". That is the deployment's configuration,
/// not a conformance failure: the case needs a URL the target accepts.
pub fn web_download_filtered(requires: &[String], got: u16, body: &[u8]) -> Option<String> {
    if got != 400 || !requires.iter().any(|r| r == "import:web-download") {
        return None;
    }
    let text = String::from_utf8_lossy(body);
    let message = text
        .lines()
        .map(str::trim)
        .find(|l| l.contains("does not pass filtering"))?;
    // A JSON error document holds the message inside a string: keep just the sentence.
    let message = message
        .split('"')
        .find(|part| part.contains("does not pass filtering"))
        .unwrap_or(message);
    Some(format!(
        "the target's URI filter refuses the web-download URL: {message} (give a URL it accepts with --web-download-url and --web-download-sha512)"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trusted() -> Personas {
        Personas::trusted_headers("r")
    }

    #[test]
    fn an_admin_owner_that_is_allowed_skips_the_refusal_case() {
        let admin_owner = Personas::with_roles(
            Personas::trusted_headers("r"),
            Persona::Owner,
            &["admin", "member"],
        );
        let why = admin_was_allowed(Persona::Owner, &admin_owner, Some(&[403]), 200).unwrap();
        assert!(why.contains("owner not to be an administrator"), "{why}");
        assert!(
            why.contains("refused (403)") && why.contains("let through (answered 200)"),
            "{why}"
        );
        // Past the policy, an administrator's request can still be refused for what it sent.
        assert!(admin_was_allowed(Persona::Owner, &admin_owner, Some(&[403]), 400).is_some());
        assert!(admin_was_allowed(Persona::Owner, &admin_owner, Some(&[403]), 409).is_some());
        // A refusal that the admin also gets, or a failure of another kind, stays a failure.
        assert!(admin_was_allowed(Persona::Owner, &admin_owner, Some(&[403]), 500).is_none());
        assert!(admin_was_allowed(Persona::Owner, &admin_owner, Some(&[200]), 201).is_none());
        assert!(admin_was_allowed(Persona::Owner, &admin_owner, None, 200).is_none());
        // A member owner that is let through is the target's fault.
        assert!(admin_was_allowed(Persona::Owner, &trusted(), Some(&[403]), 200).is_none());
        // The admin persona is meant to be one.
        assert!(admin_was_allowed(Persona::Admin, &admin_owner, Some(&[403]), 200).is_none());
    }

    #[test]
    fn a_persona_without_its_role_skips() {
        let p = trusted();
        assert!(missing_role(&[Persona::Admin, Persona::Service], &p).is_none());
        let no_service = Personas::with_roles(p.clone(), Persona::Service, &["member"]);
        let why = missing_role(&[Persona::Owner, Persona::Service], &no_service).unwrap();
        assert!(
            why.contains("persona service with the `service` role; it holds: member"),
            "{why}"
        );
        let no_admin = Personas::with_roles(p, Persona::Admin, &[]);
        let why = missing_role(&[Persona::Admin], &no_admin).unwrap();
        assert!(why.contains("`admin` role; it holds: none"), "{why}");
    }

    #[test]
    fn a_format_inspection_failure_names_the_option() {
        let hint = format_inspection_hint(&[FORMAT_INSPECTION.to_string()]).unwrap();
        assert!(hint.contains("require_image_format_match"), "{hint}");
        assert!(
            hint.contains("--without-feature format-inspection"),
            "{hint}"
        );
        assert!(format_inspection_hint(&["import".to_string()]).is_none());
    }

    #[test]
    fn a_filtered_web_download_url_skips_with_the_targets_message() {
        let needs = vec!["import:web-download".to_string()];
        let body = b"400 Bad Request\n\nURI for web-download does not pass filtering: http://127.0.0.1:4711/x\n\n";
        let why = web_download_filtered(&needs, 400, body).unwrap();
        assert!(
            why.contains(
                "refuses the web-download URL: URI for web-download does not pass filtering: http://127.0.0.1:4711/x"
            ),
            "{why}"
        );
        assert!(why.contains("--web-download-url"), "{why}");
        let json = br#"{"message": "URI for web-download does not pass filtering: http://h/x"}"#;
        let why = web_download_filtered(&needs, 400, json).unwrap();
        assert!(
            why.contains("URL: URI for web-download does not pass filtering: http://h/x ("),
            "{why}"
        );
        // Another 400, or a case that is not about web-download, is judged as usual.
        assert!(web_download_filtered(&needs, 400, b"400 Bad Request\n\nbad method").is_none());
        assert!(web_download_filtered(&[], 400, body).is_none());
        assert!(web_download_filtered(&needs, 409, body).is_none());
    }

    #[test]
    fn a_case_contrasting_owner_and_admin_is_skipped_when_the_owner_is_an_administrator() {
        let requires = vec![NON_ADMIN_OWNER.to_string()];
        let plain = trusted();
        assert_eq!(owner_is_admin(&requires, &plain), None);
        let admin_owner = trusted().with_roles(Persona::Owner, &["admin", "member"]);
        let why = owner_is_admin(&requires, &admin_owner).unwrap();
        assert!(
            why.starts_with("needs persona owner not to be an administrator"),
            "{why}"
        );
        assert_eq!(owner_is_admin(&[], &admin_owner), None);
    }
}
