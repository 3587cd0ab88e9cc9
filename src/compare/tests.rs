//! The comparison on small hand-made runs.

use super::*;
use serde_json::json;

fn exchange(method: &str, url: &str, status: u16, headers: Value, body: &str) -> Value {
    json!({
        "request": {"method": method, "url": url, "headers": []},
        "response": {"status": status, "headers": headers, "body": body, "body_len": body.len(), "elapsed_ms": 1}
    })
}

fn case(id: &str, verdict: &str, steps: Value) -> Value {
    json!({
        "id": id, "area": id.split("::").next().unwrap(), "area_title": "Area", "proves": "p",
        "behaviours": [], "document": "d", "section": "s", "file": "f", "line": 1,
        "verdict": verdict, "reason": "", "steps": steps, "cleanup": [], "duration_ms": 1
    })
}

fn run(run_id: &str, host: &str, cases: Vec<Value>, suite: &[&str]) -> RunReport {
    let report = json!({
        "format": "imgconf-results", "version": 1,
        "run": {
            "tool": "imgconf", "tool_version": "0", "commit": "c", "run_id": run_id,
            "endpoint": host, "reference_server": false, "api_versions": [], "api_current": null,
            "profile": "glance", "identity": "none", "features": [], "started_at": "",
            "finished_at": "", "duration_ms": 0, "config": {}
        },
        "counts": {"total": 0, "passed": 0, "failed": 0, "errors": 0, "skipped": 0, "deviations": 0},
        "cases": cases,
        "suite": suite,
    });
    serde_json::from_value(report).unwrap()
}

/// One step creating an image, as a target at `host` in run `run_id` answers it.
fn create(run_id: &str, host: &str, id: &str, extra: Value) -> Value {
    let mut body = json!({
        "id": id, "name": format!("imgconf-{run_id}-tags-x"), "tags": ["b", "a"],
        "created_at": "2026-12-03T02:19:19Z", "self": format!("/v2/images/{id}"),
    });
    body.as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    json!([{"number": 1, "line": 3, "exchanges": [exchange(
        "POST", &format!("{host}/v2/images"), 201,
        json!([["date", "Thu, 03 Dec 2026 02:19:19 GMT"], ["x-openstack-request-id", format!("req-{id}")],
               ["location", format!("{host}/v2/images/{id}")], ["content-type", "application/json"]]),
        &body.to_string(),
    )], "findings": []}])
}

#[test]
fn runs_that_differ_only_in_ids_dates_hosts_and_run_ids_are_the_same() {
    let a = run(
        "aaaa1111",
        "http://127.0.0.1:1",
        vec![case(
            "tags::x",
            "pass",
            create(
                "aaaa1111",
                "http://127.0.0.1:1",
                "0b8c5a0e-1f7e-4c1e-9a53-0c2b1d6e9f10",
                json!({}),
            ),
        )],
        &["tags::x"],
    );
    let mut b_case = create(
        "bbbb2222",
        "http://10.0.0.9:9292",
        "7f2d6c3a-2b1e-4d5f-8a9b-1c2d3e4f5a6b",
        json!({}),
    );
    // Tags in another order, another request id and date: still the same.
    b_case[0]["exchanges"][0]["response"]["body"] = json!(b_case[0]["exchanges"][0]["response"]
        ["body"]
        .as_str()
        .unwrap()
        .replace(r#"["b","a"]"#, r#"["a","b"]"#)
        .replace("02:19:19Z", "05:00:01Z"));
    let b = run(
        "bbbb2222",
        "http://10.0.0.9:9292",
        vec![case("tags::x", "pass", b_case)],
        &["tags::x"],
    );
    let cmp = compare("a", &a, "b", &b);
    assert!(cmp.cases.is_empty(), "{:#?}", cmp.cases);
    assert_eq!(
        cmp.counts,
        Counts {
            compared: 1,
            same: 1,
            ..Counts::default()
        }
    );
    assert_eq!(cmp.exit_code(), EXIT_SAME);
    assert!(text::console(&cmp).contains("1 cases in both runs: 1 the same, 0 verdict changes"));
}

#[test]
fn a_passing_case_with_another_answer_is_listed_with_paths_apart_from_verdict_changes() {
    let id = "0b8c5a0e-1f7e-4c1e-9a53-0c2b1d6e9f10";
    let a = run(
        "aaaa1111",
        "http://h:1",
        vec![
            case(
                "tags::x",
                "pass",
                create("aaaa1111", "http://h:1", id, json!({"os_hidden": false})),
            ),
            case(
                "tags::y",
                "pass",
                create("aaaa1111", "http://h:1", id, json!({})),
            ),
        ],
        &["tags::x", "tags::y"],
    );
    let mut y = create("bbbb2222", "http://h:1", id, json!({}));
    y[0]["exchanges"][0]["response"]["status"] = json!(400);
    let b = run(
        "bbbb2222",
        "http://h:1",
        vec![
            case(
                "tags::x",
                "pass",
                create("bbbb2222", "http://h:1", id, json!({"extra": 1})),
            ),
            case("tags::y", "deviation", y),
        ],
        &["tags::x", "tags::y"],
    );
    let cmp = compare("a", &a, "b", &b);
    assert_eq!(cmp.exit_code(), EXIT_DIFFERENT);
    assert_eq!(
        (cmp.counts.verdict_changes, cmp.counts.response_differences),
        (1, 1)
    );
    let x = cmp.cases.iter().find(|c| c.id == "tags::x").unwrap();
    assert_eq!(x.change, Change::Responses);
    let paths: Vec<(&str, &Option<Value>, &Option<Value>)> = x.steps[0]
        .differences
        .iter()
        .map(|d| (d.path.as_str(), &d.a, &d.b))
        .collect();
    assert_eq!(
        paths,
        vec![
            ("body.os_hidden", &Some(json!(false)), &None),
            ("body.extra", &None, &Some(json!(1))),
        ]
    );
    assert_eq!(x.steps[0].request, "POST /v2/images");
    let y = cmp.cases.iter().find(|c| c.id == "tags::y").unwrap();
    assert_eq!(y.change, Change::Verdict);
    assert_eq!(y.steps[0].differences[0].path, "status");
    let console = text::console(&cmp);
    assert!(console.contains("Verdict changes (1)"), "{console}");
    assert!(
        console.contains("step 1 (POST /v2/images) body.os_hidden: false | absent"),
        "{console}"
    );
    let md = text::markdown(&cmp);
    assert!(md.contains("| `tags::y` | pass | deviation |"), "{md}");
}

#[test]
fn headers_are_compared_by_name_and_value_but_for_the_ones_that_always_differ() {
    let mk = |extra: Value| {
        let mut s = create(
            "r0r0r0r0",
            "http://h:1",
            "0b8c5a0e-1f7e-4c1e-9a53-0c2b1d6e9f10",
            json!({}),
        );
        let h = s[0]["exchanges"][0]["response"]["headers"]
            .as_array_mut()
            .unwrap();
        h.extend(extra.as_array().unwrap().clone());
        run(
            "r0r0r0r0",
            "http://h:1",
            vec![case("a::b", "pass", s)],
            &["a::b"],
        )
    };
    let a = mk(json!([["server", "uwsgi"], ["content-length", "10"]]));
    let b = mk(json!([
        ["Content-Length", "12"],
        ["openstack-image-import-methods", "glance-direct"]
    ]));
    let cmp = compare("a", &a, "b", &b);
    let d = &cmp.cases[0].steps[0].differences;
    assert_eq!(d.len(), 1, "{d:?}");
    assert_eq!(d[0].path, "headers.openstack-image-import-methods");
    assert_eq!((&d[0].a, &d[0].b), (&None, &Some(json!("glance-direct"))));
}

#[test]
fn concurrent_requests_are_compared_by_their_statuses_and_listings_lose_other_cases_images() {
    let parallel = |statuses: &[u16]| {
        let ex: Vec<Value> = statuses
            .iter()
            .map(|s| {
                exchange(
                    "POST",
                    "http://h:1/v2/images",
                    *s,
                    json!([]),
                    &format!("{{\"n\": {s}}}"),
                )
            })
            .collect();
        json!([{"number": 1, "line": 1, "exchanges": ex, "findings": []}])
    };
    let listing = |names: &[&str]| {
        let images: Vec<Value> = names.iter().map(|n| json!({"name": n})).collect();
        json!([{"number": 1, "line": 1, "exchanges": [exchange("GET", "http://h:1/v2/images", 200, json!([]), &json!({"images": images}).to_string())], "findings": []}])
    };
    let a = run(
        "r1r1r1r1",
        "",
        vec![
            case("c::p", "pass", parallel(&[201, 409, 409])),
            case(
                "c::l",
                "pass",
                listing(&["imgconf-r1r1r1r1-c-l", "imgconf-r1r1r1r1-c-p", "cirros"]),
            ),
        ],
        &["c::l", "c::p"],
    );
    let b = run(
        "r2r2r2r2",
        "",
        vec![
            case("c::p", "pass", parallel(&[409, 201, 409])),
            case(
                "c::l",
                "pass",
                listing(&["imgconf-r2r2r2r2-c-l", "imgconf-zzzz-other"]),
            ),
        ],
        &["c::l", "c::p"],
    );
    let cmp = compare("a", &a, "b", &b);
    let listed: Vec<(&str, Vec<&str>)> = cmp
        .cases
        .iter()
        .map(|c| {
            (
                c.id.as_str(),
                c.steps[0]
                    .differences
                    .iter()
                    .map(|d| d.path.as_str())
                    .collect(),
            )
        })
        .collect();
    // Only the image that is neither this case's nor another case's differs.
    assert_eq!(listed, vec![("c::l", vec!["body.images[1]"])]);
    let c = compare(
        "a",
        &a,
        "b",
        &run(
            "r2r2r2r2",
            "",
            vec![
                case("c::p", "pass", parallel(&[201, 201, 409])),
                case("c::l", "pass", listing(&["imgconf-r2r2r2r2-c-l", "cirros"])),
            ],
            &["c::l", "c::p"],
        ),
    );
    let d = &c.cases[0].steps[0].differences[0];
    assert_eq!(
        (c.cases[0].id.as_str(), d.path.as_str()),
        ("c::p", "statuses")
    );
    assert_eq!(
        (&d.a, &d.b),
        (&Some(json!([201, 409, 409])), &Some(json!([201, 201, 409])))
    );
}

#[test]
fn steps_and_cases_on_one_side_only_and_different_suites() {
    let a = run(
        "r1r1r1r1",
        "",
        vec![
            case(
                "a::one",
                "pass",
                create(
                    "r1r1r1r1",
                    "",
                    "0b8c5a0e-1f7e-4c1e-9a53-0c2b1d6e9f10",
                    json!({}),
                ),
            ),
            case("a::two", "pass", json!([])),
        ],
        &["a::one", "a::two"],
    );
    let b = run(
        "r2r2r2r2",
        "",
        vec![case("a::one", "fail", json!([]))],
        &["a::one", "a::two"],
    );
    let cmp = compare("a", &a, "b", &b);
    assert_eq!(cmp.exit_code(), EXIT_DIFFERENT);
    assert_eq!(
        cmp.only_in_a
            .iter()
            .map(|l| l.id.as_str())
            .collect::<Vec<_>>(),
        ["a::two"]
    );
    let d = &cmp.cases[0].steps[0].differences[0];
    assert_eq!(
        (d.path.as_str(), &d.a, &d.b),
        ("step", &Some(json!("POST /v2/images")), &None)
    );
    assert!(cmp.trouble().is_none());

    let other = run(
        "r2r2r2r2",
        "",
        vec![case("a::one", "pass", json!([]))],
        &["a::one", "a::three"],
    );
    let cmp = compare("a", &a, "b", &other);
    assert_eq!(cmp.exit_code(), EXIT_TROUBLE);
    assert_eq!(
        cmp.trouble().unwrap(),
        "the runs come from different suites: only in A's suite: a::two; only in B's suite: a::three"
    );
    // Older results files name no suite: the cases they ran stand for it.
    let mut old = other.clone();
    old.suite.clear();
    assert_eq!(compare("a", &old, "b", &old).exit_code(), EXIT_SAME);
}
