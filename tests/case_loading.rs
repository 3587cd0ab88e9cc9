//! A malformed case file is reported with its file, line and field, before anything is sent.

use imgconf::case::plan::{At, Condition};
use imgconf::case::{load, LoadError};
use imgconf::schema::SchemaSet;
use imgconf::source::SourceFile;
use imgconf::template::Env;

fn schemas() -> SchemaSet {
    SchemaSet::compile(&[SourceFile::new(
        "fixtures/schemas/image.json",
        r#"{"type":"object"}"#.into(),
    )])
    .unwrap()
}

const HEAD: &str = "area: tags\ntitle: Tags\ndocument: doc\ncases:\n";

/// One case whose single step is `step` (indented as a list item under `steps:`).
fn case_with_step(step: &str) -> String {
    format!("{HEAD}  - name: c\n    proves: p\n    spec: {{section: s}}\n    steps:\n{step}")
}

fn errors(text: &str) -> Vec<LoadError> {
    load(
        &[SourceFile::new("cases/t.yaml", text.to_string())],
        &schemas(),
    )
    .unwrap_err()
}

fn one_error(text: &str) -> LoadError {
    let e = errors(text);
    assert_eq!(e.len(), 1, "expected one error, got {e:#?}");
    e.into_iter().next().unwrap()
}

#[test]
fn a_valid_file_loads_into_a_plan() {
    let text = case_with_step(
        "      - request: {method: POST, path: /v2/images, json: {name: x}}\n        capture: {id: body.id}\n        expect:\n          status: 201\n          headers: {location: {ends_with: \"/v2/images/{{id}}\"}}\n          schema: image\n      - request: {method: GET, path: \"/v2/images/{{id}}\"}\n        expect: {status: [200, 203]}\n",
    );
    let cases = load(&[SourceFile::new("cases/t.yaml", text)], &schemas()).unwrap();
    assert_eq!(cases.len(), 1);
    assert_eq!(cases[0].id, "tags::c");
    assert_eq!(cases[0].steps.len(), 2);
    let status = &cases[0].steps[1].exchanges()[0].expect.status;
    assert_eq!(
        status.as_ref().map(|s| s.item.clone()),
        Some(vec![200, 203])
    );
}

#[test]
fn yaml_syntax_error_names_file_and_line() {
    let e = one_error(&format!("{HEAD}  - name: c\n    proves: p\n     spec: x\n"));
    assert_eq!(e.file, "cases/t.yaml");
    assert_eq!(e.line, 7, "{e}");
    assert!(e.to_string().starts_with("cases/t.yaml:7:"), "{e}");
}

#[test]
fn unknown_field_names_the_field_and_line() {
    let e = one_error(&case_with_step(
        "      - request: {method: GET, path: /}\n        expect: {statuss: 200}\n",
    ));
    assert_eq!(e.line, 10, "{e}");
    assert_eq!(e.field, "cases[0].steps[0].expect");
    assert!(e.message.contains("unknown field `statuss`"), "{e}");
}

#[test]
fn wrong_type_names_the_field() {
    let e = one_error(&case_with_step(
        "      - request: {method: GET, path: /}\n        expect: {status: two hundred}\n",
    ));
    assert_eq!(e.field, "cases[0].steps[0].expect.status");
    assert!(e.message.contains("status code"), "{e}");
    assert_eq!(e.line, 10);
}

#[test]
fn missing_required_field_is_reported() {
    let e = one_error(&format!(
        "{HEAD}  - name: c\n    spec: {{section: s}}\n    steps: []\n"
    ));
    assert!(e.message.contains("missing field `proves`"), "{e}");
    assert_eq!(e.field, "cases[0]");
}

#[test]
fn out_of_range_status_is_reported() {
    let e = one_error(&case_with_step(
        "      - request: {method: GET, path: /}\n        expect: {status: 42}\n",
    ));
    assert!(e.message.contains("42 is not an HTTP status code"), "{e}");
}

#[test]
fn unknown_variable_names_its_field_and_line() {
    let e = one_error(&case_with_step(
        "      - request: {method: GET, path: \"/v2/images/{{image_id}}\"}\n",
    ));
    assert_eq!(e.field, "cases[0].steps[0].request.path");
    assert_eq!(e.line, 9);
    assert!(e.message.contains("unknown variable `image_id`"), "{e}");
}

#[test]
fn variable_captured_later_is_unknown_earlier() {
    let e = one_error(&case_with_step(
        "      - request: {method: GET, path: \"/{{x}}\"}\n      - request: {method: GET, path: /}\n        capture: {x: body.id}\n",
    ));
    assert!(e.message.contains("unknown variable `x`"), "{e}");
    assert_eq!(e.line, 9);
}

#[test]
fn unknown_builtin_is_reported() {
    let e = one_error(&case_with_step(
        "      - request: {method: GET, path: \"/{{$nope}}\"}\n",
    ));
    assert!(e.message.contains("unknown built-in `$nope`"), "{e}");
}

#[test]
fn invalid_regex_names_the_check() {
    let e = one_error(&case_with_step(
        "      - request: {method: GET, path: /}\n        expect:\n          checks:\n            - {at: body.id, regex: \"([a-\"}\n",
    ));
    assert_eq!(e.field, "cases[0].steps[0].expect.checks[0].regex");
    assert_eq!(e.line, 12);
    assert!(e.message.starts_with("invalid regex"), "{e}");
}

#[test]
fn missing_schema_file_is_reported() {
    let e = one_error(&case_with_step(
        "      - request: {method: GET, path: /}\n        expect: {schema: imagez}\n",
    ));
    assert_eq!(e.field, "cases[0].steps[0].expect.schema");
    assert!(
        e.message.contains("no schema `imagez`") && e.message.contains("known: image"),
        "{e}"
    );
}

#[test]
fn bad_path_is_reported() {
    let e = one_error(&case_with_step(
        "      - request: {method: GET, path: /}\n        capture: {id: bdy.id}\n",
    ));
    assert_eq!(e.field, "cases[0].steps[0].capture.id");
    assert!(e.message.contains("bad path `bdy.id`"), "{e}");
}

#[test]
fn check_without_at_or_condition_is_reported() {
    let errs = errors(&case_with_step(
        "      - request: {method: GET, path: /}\n        expect:\n          checks:\n            - {equals: 1}\n            - {at: body.x}\n",
    ));
    let text: Vec<String> = errs.iter().map(|e| e.to_string()).collect();
    assert!(
        text.iter()
            .any(|e| e.contains("checks[0]") && e.contains("needs `at`")),
        "{text:#?}"
    );
    assert!(
        text.iter()
            .any(|e| e.contains("checks[1]") && e.contains("states no condition")),
        "{text:#?}"
    );
}

#[test]
fn unknown_method_and_relative_path_are_reported() {
    let errs = errors(&case_with_step(
        "      - request: {method: FETCH, path: v2/images}\n",
    ));
    let text: Vec<String> = errs.iter().map(|e| e.to_string()).collect();
    assert!(
        text.iter()
            .any(|e| e.contains("request.method") && e.contains("`FETCH` is not one of")),
        "{text:#?}"
    );
    assert!(
        text.iter()
            .any(|e| e.contains("request.path") && e.contains("must start with `/`")),
        "{text:#?}"
    );
}

#[test]
fn duplicate_case_names_are_reported_within_and_across_files() {
    let step = "      - request: {method: GET, path: /}\n";
    let one =
        format!("{HEAD}  - name: c\n    proves: p\n    spec: {{section: s}}\n    steps:\n{step}");
    let twice =
        format!("{one}  - name: c\n    proves: p\n    spec: {{section: s}}\n    steps:\n{step}");
    let e = one_error(&twice);
    assert!(e.message.contains("duplicate case name `c`"), "{e}");
    assert_eq!(e.line, 10);

    let errs = load(
        &[
            SourceFile::new("cases/a.yaml", one.clone()),
            SourceFile::new("cases/b.yaml", one),
        ],
        &schemas(),
    )
    .unwrap_err();
    assert_eq!(errs.len(), 1);
    assert_eq!(errs[0].file, "cases/b.yaml");
    assert!(
        errs[0].message.contains("first at cases/a.yaml:5"),
        "{}",
        errs[0]
    );
}

#[test]
fn step_without_request_may_only_check_variables() {
    let errs = errors(&case_with_step("      - expect: {status: 200}\n"));
    let text: Vec<String> = errs.iter().map(|e| e.to_string()).collect();
    assert!(
        text.iter()
            .any(|e| e.contains("only have `checks` on `vars.`")),
        "{text:#?}"
    );
    let e = one_error(&case_with_step(
        "      - request: {method: GET, path: /}\n      - expect: {checks: [{at: body.id, exists: true}]}\n",
    ));
    assert!(e.message.contains("only `vars.` paths exist"), "{e}");
}

#[test]
fn json_and_raw_body_together_are_refused() {
    let e = one_error(&case_with_step(
        "      - request: {method: POST, path: /, json: {}, body: x}\n",
    ));
    assert!(
        e.message.contains(
            "give one of `json`, `patch`, `body`, `generate` or `disk_image`, not several"
        ),
        "{e}"
    );
}

#[test]
fn bad_since_and_area_are_reported() {
    let text = "area: Tags!\ntitle: t\ndocument: d\ncases:\n  - name: c\n    proves: p\n    since: two\n    spec: {section: s}\n    steps:\n      - request: {method: GET, path: /}\n";
    let errs = errors(text);
    let text: Vec<String> = errs.iter().map(|e| e.to_string()).collect();
    assert!(
        text.iter()
            .any(|e| e.starts_with("cases/t.yaml:1:1: area:")),
        "{text:#?}"
    );
    assert!(
        text.iter()
            .any(|e| e.starts_with("cases/t.yaml:7:") && e.contains("not a version")),
        "{text:#?}"
    );
}

#[test]
fn the_shipped_case_files_load() {
    let schemas = SchemaSet::compile(
        &imgconf::source::from_dir("fixtures/schemas".as_ref(), "json").unwrap(),
    )
    .unwrap();
    let files = imgconf::source::from_dir("cases".as_ref(), "yaml").unwrap();
    let cases = load(&files, &schemas).unwrap_or_else(|e| panic!("{e:#?}"));
    assert!(cases.len() >= 25, "{}", cases.len());
    for c in &cases {
        assert!(!c.behaviours.is_empty(), "{} names no behaviour", c.id);
    }
}

#[test]
fn unknown_persona_is_reported() {
    let e = one_error(&case_with_step(
        "      - as: boss\n        request: {method: GET, path: /}\n",
    ));
    assert_eq!(e.field, "cases[0].steps[0].as");
    assert!(
        e.message.contains(
            "`boss` is not a persona (personas: owner, other, third, admin, service, reader)"
        ),
        "{e}"
    );
}

#[test]
fn parallel_needs_a_request_and_a_sane_count() {
    let e = one_error(&case_with_step(
        "      - request: {method: GET, path: /}\n        parallel: 1000\n",
    ));
    assert_eq!(e.field, "cases[0].steps[0].parallel");
    assert!(
        e.message
            .contains("`parallel` sends 2 to 64 copies at once"),
        "{e}"
    );
    let e = one_error(&case_with_step(
        "      - request: {method: GET, path: /}\n        parallel: 2\n        follow: body.next\n",
    ));
    assert!(e.message.contains("cannot go with `follow`"), "{e}");
}

#[test]
fn digest_paths_name_their_field() {
    let e = one_error(&case_with_step(
        "      - request: {method: GET, path: /}\n        capture: {x: sent.crc32}\n",
    ));
    assert!(
        e.message
            .contains("`sent` is followed by `.size`, `.md5` or `.sha512`"),
        "{e}"
    );
}

#[test]
fn null_is_a_value_to_compare_with_not_a_missing_condition() {
    let text = case_with_step("      - request: {method: GET, path: /}\n        expect:\n          checks:\n            - {at: body.name, equals: null}\n");
    let cases = load(&[SourceFile::new("cases/t.yaml", text)], &schemas()).unwrap();
    let pred = &cases[0].steps[0].exchanges()[0].expect.checks[0].1;
    assert!(
        matches!(&pred.conditions[0].item, Condition::Equals(t) if t.render(&Env::new("r", "c")).unwrap().is_null()),
        "equals: null must be kept as a condition: {pred:?}"
    );
}

#[test]
fn valid_against_counts_as_a_condition() {
    let text = case_with_step("      - request: {method: GET, path: /}\n        capture: {s: body}\n        expect:\n          checks:\n            - {at: body, valid_against: \"{{s}}\"}\n");
    let cases = load(&[SourceFile::new("cases/t.yaml", text)], &schemas()).unwrap();
    let pred = &cases[0].steps[0].exchanges()[0].expect.checks[0].1;
    assert!(matches!(
        pred.conditions[..],
        [At {
            item: Condition::ValidAgainst(_),
            ..
        }]
    ));
}

#[test]
fn alongside_needs_a_request_on_both_sides_and_repeat_belongs_to_it() {
    let all = errors(&case_with_step(
        "      - request: {method: GET, path: /}\n        alongside: {title: nothing to send}\n",
    ));
    assert!(
        all.iter()
            .any(|e| e.message.contains("an `alongside` step has a `request`")),
        "{all:#?}"
    );
    let e = one_error(&case_with_step(
        "      - request: {method: GET, path: /}\n        repeat: 3\n",
    ));
    assert!(
        e.message
            .contains("`repeat` numbers the requests of an `alongside` step"),
        "{e}"
    );
    let e = one_error(&case_with_step(
        "      - request: {method: GET, path: /}\n        parallel: 2\n        alongside: {request: {method: GET, path: /}}\n",
    ));
    assert!(e.message.contains("without `parallel` or `poll`"), "{e}");
}

#[test]
fn wait_past_goes_with_a_request() {
    let e = errors(&case_with_step(
        "      - wait_past: \"2026-12-03T02:19:22Z\"\n",
    ));
    let e = e
        .iter()
        .find(|e| {
            e.message
                .contains("`wait_past` waits before a step's `request`; this step sends none")
        })
        .unwrap_or_else(|| panic!("{e:#?}"));
    assert_eq!(
        (e.line, e.field.as_str()),
        (9, "cases[0].steps[0].wait_past"),
        "{e}"
    );
}

/// The plans of two spellings of one case file, as `plan::dump` shows them.
fn same_plan(short: &str, long: &str) {
    let plan = |text: &str| {
        let cases = load(
            &[SourceFile::new("cases/t.yaml", text.to_string())],
            &schemas(),
        )
        .unwrap_or_else(|e| panic!("{e:#?}"));
        imgconf::case::plan::dump(&cases)
    };
    assert_eq!(plan(short), plan(long));
}

#[test]
fn a_template_step_is_the_steps_it_stands_for() {
    same_plan(
        &case_with_step(
            "      - {use: create-image, with: {into: id, as: other, visibility: shared, tags: [a]}}\n      - {use: upload, times: 2, with: {data: \"x\\n\", image: \"{{id}}\", to: stage}}\n",
        ),
        &case_with_step(concat!(
            "      - as: other\n",
            "        request: {method: POST, path: /v2/images, json: {name: \"{{$name}}\", visibility: shared, tags: [a]}}\n",
            "        capture: {id: body.id}\n",
            "        expect: {status: 201}\n",
            "      - &up\n",
            "        request:\n",
            "          method: PUT\n",
            "          path: \"/v2/images/{{id}}/stage\"\n",
            "          headers: {Content-Type: application/octet-stream}\n",
            "          body: \"x\\n\"\n",
            "        expect: {status: 204}\n",
            "      - *up\n",
        )),
    );
    // Optional parameters left out leave their entries out; `into: ~` captures nothing.
    same_plan(
        &case_with_step("      - {use: create-image, with: {into: ~, name: n}}\n"),
        &case_with_step(
            "      - request: {method: POST, path: /v2/images, json: {name: n}}\n        expect: {status: 201}\n",
        ),
    );
}

#[test]
fn a_patch_body_is_json_sent_with_the_json_patch_media_type() {
    same_plan(
        &case_with_step(
            "      - request: {method: PATCH, path: /v2/images/x, headers: {X-A: b}, patch: [{op: remove, path: /a}]}\n",
        ),
        &case_with_step(
            "      - request: {method: PATCH, path: /v2/images/x, headers: {X-A: b, Content-Type: application/openstack-images-v2.1-json-patch}, json: [{op: remove, path: /a}]}\n",
        ),
    );
}

#[test]
fn repeat_writes_a_long_literal() {
    same_plan(
        &case_with_step(
            "      - request: {method: PUT, path: \"/t/{{$repeat(t, 5)}}\", json: {a: \"{{$repeat(ab, 3)}}\"}}\n",
        ),
        &case_with_step(
            "      - request: {method: PUT, path: /t/ttttt, json: {a: ababab}}\n",
        ),
    );
}

const TWO_CASES: &str = "  - name: a\n    proves: p\n    spec: {section: s}\n    steps: [{request: {method: GET, path: /}}]\n  - name: b\n    proves: p\n    since: \"2.1\"\n    requires: []\n    spec: {section: s}\n    steps: [{request: {method: GET, path: /}}]\n  - name: c\n    proves: p\n    since: ~\n    spec: {section: s}\n    steps: [{request: {method: GET, path: /}}]\n";

#[test]
fn file_defaults_apply_to_cases_that_do_not_say_otherwise() {
    let text = format!(
        "area: tags\ntitle: Tags\ndocument: doc\ndefaults: {{since: \"2.5\", requires: [cache]}}\ncases:\n{TWO_CASES}"
    );
    let cases = load(&[SourceFile::new("cases/t.yaml", text)], &schemas()).unwrap();
    let got: Vec<(Option<String>, Vec<String>)> = cases
        .iter()
        .map(|c| (c.since.map(|v| v.to_string()), c.requires.clone()))
        .collect();
    let cache = vec!["cache".to_string()];
    assert_eq!(
        got,
        [
            (Some("2.5".into()), cache.clone()),
            (Some("2.1".into()), vec![]),
            (None, cache)
        ]
    );
}

/// The one problem of a case whose single step is `step`, as `file:line:column: field: message`.
fn step_problem(step: &str) -> String {
    one_error(&case_with_step(step)).to_string()
}

#[test]
fn template_problems_name_the_field_and_line_written() {
    let cases = [
        (
            "      - use: create-imag\n",
            "cases/t.yaml:9:9: cases[0].steps[0].use: no template `create-imag` (templates: create-image,",
        ),
        (
            "      - use: upload\n",
            "cases/t.yaml:9:9: cases[0].steps[0].use: template `upload` needs the parameter `data` (`with: {data: …}`)",
        ),
        (
            "      - {use: upload, with: {data: x, colour: red}}\n",
            "cases/t.yaml:9:39: cases[0].steps[0].with.colour: template `upload` has no parameter `colour` (parameters: data, image, to, capture, as, title)",
        ),
        (
            "      - use: create-image\n        expect: {status: 201}\n",
            "cases/t.yaml:10:9: cases[0].steps[0].expect: a step that uses a template has only `use`, `with` and `times`; `expect` goes in `with` if the template takes it",
        ),
        (
            "      - request: {method: GET, path: /}\n        with: {a: 1}\n",
            "cases/t.yaml:10:9: cases[0].steps[0].with: `with` gives a template's parameters; this step has no `use`",
        ),
        (
            "      - {use: create-image, times: 1}\n",
            "cases/t.yaml:9:29: cases[0].steps[0].times: `times` sends the step 2 to 64 times in a row",
        ),
        (
            "      - {use: upload, with: {data: x, image: [1]}}\n",
            "cases/t.yaml:9:39: cases[0].steps[0].with.image: `image` is written into text, so it is a single value",
        ),
        (
            "      - {use: create-image, with: {fields: [1]}}\n",
            "cases/t.yaml:9:36: cases[0].steps[0].with.fields: `fields` is a mapping",
        ),
        (
            "      - {use: create-image, with: {fields: {name: x}}}\n",
            "cases/t.yaml:9:29: cases[0].steps[0].with.name: `name` is given twice once the template is filled in",
        ),
        (
            "      - {use: create-image, with: x}\n",
            "cases/t.yaml:9:29: cases[0].steps[0].with: `with` is a mapping of parameter names to values",
        ),
    ];
    expect_problems(&cases);
}

/// Every step's one problem starts as wanted; all mismatches are shown together.
fn expect_problems(cases: &[(&str, &str)]) {
    let wrong: Vec<String> = cases
        .iter()
        .map(|(step, want)| (step, want, step_problem(step)))
        .filter(|(_, want, got)| !got.starts_with(*want))
        .map(|(step, want, got)| format!("{step}  got: {got}\n want: {want}"))
        .collect();
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn a_problem_inside_a_template_points_at_the_value_or_the_use() {
    // A parameter's value keeps its own position; what the template adds is at the `use`.
    let e = one_error(&case_with_step(
        "      - request: {method: GET, path: /}\n      - {use: create-image, with: {as: nobody}}\n",
    ));
    assert_eq!((e.line, e.column), (10, 40), "{e}");
    assert!(e.message.contains("`nobody` is not a persona"), "{e}");
    let e = one_error(&case_with_step(
        "      - {use: show-image, with: {image: \"{{nope}}\"}}\n",
    ));
    assert_eq!(
        (e.line, e.field.as_str()),
        (9, "cases[0].steps[0].request.path"),
        "{e}"
    );
    assert!(e.message.contains("unknown variable `nope`"), "{e}");
}

#[test]
fn patch_problems_name_their_field() {
    expect_problems(&[
        (
            "      - request: {method: PATCH, path: /, patch: [], json: []}\n",
            "cases/t.yaml:9:9: cases[0].steps[0].request: give one of `json`, `patch`, `body`, `generate` or `disk_image`, not several",
        ),
        (
            "      - request: {method: PATCH, path: /, patch: {op: add}}\n",
            "cases/t.yaml:9:43: cases[0].steps[0].request.patch: a JSON Patch is a list of operations",
        ),
        (
            "      - request: {method: PATCH, path: /, headers: {content-type: a/b}, patch: []}\n",
            "cases/t.yaml:9:53: cases[0].steps[0].request.headers.content-type: `patch` sends Content-Type application/openstack-images-v2.1-json-patch; give `json` to send another",
        ),
        (
            "      - request: {method: PUT, path: \"/{{$repeat(t, 0)}}\"}\n",
            "cases/t.yaml:9:32: cases[0].steps[0].request.path: `$repeat(t, 0)`: write `$repeat(TEXT, N)` with N from 1 to 65536",
        ),
    ]);
}

#[test]
fn default_problems_are_located_in_the_defaults() {
    let head = |defaults: &str| {
        format!("area: tags\ntitle: Tags\ndocument: doc\ndefaults: {defaults}\ncases:\n{TWO_CASES}")
    };
    let e = one_error(&head("{since: two}"));
    assert_eq!(
        e.to_string(),
        "cases/t.yaml:4:12: defaults.since: `two` is not a version like 2.5"
    );
    let e = one_error(&head("{sincee: \"2.5\"}"));
    assert_eq!((e.line, e.field.as_str()), (4, "defaults"), "{e}");
    assert!(
        e.message
            .starts_with("unknown field `sincee`, expected `since` or `requires`"),
        "{e}"
    );
    let e = one_error(&head("{requires: [Cache]}"));
    assert_eq!(e.field, "defaults.requires[0]", "{e}");
}

#[test]
fn each_condition_keeps_where_it_is_written() {
    // Line 9 is the step; the check's conditions sit on line 12.
    let text = case_with_step("      - request: {method: GET, path: /}\n        expect:\n          checks:\n            - {at: body.tags, len: 1, each: {type: string}}\n");
    let cases = load(&[SourceFile::new("cases/t.yaml", text)], &schemas()).unwrap();
    let case = &cases[0];
    assert_eq!((case.line, case.end_line), (5, 12));
    let pred = &case.steps[0].exchanges()[0].expect.checks[0].1;
    let at = |line, column| imgconf::yaml::Pos { line, column };
    assert_eq!(pred.pos, at(12, 15));
    assert_eq!(pred.conditions[0].pos, at(12, 31));
    assert_eq!(pred.conditions[1].pos, at(12, 39));
    let Condition::Each(each) = &pred.conditions[1].item else {
        panic!("{pred:?}")
    };
    assert_eq!(each.conditions[0].pos, at(12, 46));
}

#[test]
fn a_misspelt_condition_is_reported_at_its_key() {
    let e = one_error(&case_with_step(
        "      - request: {method: GET, path: /}\n        expect: {checks: [{at: body.x, equalz: 1}]}\n",
    ));
    assert_eq!(
        e.to_string(),
        "cases/t.yaml:10:40: cases[0].steps[0].expect.checks[0]: unknown field `equalz`, expected one of `at`, `exists`, `equals`, `not_equals`, `one_of`, `subset`, `regex`, `starts_with`, `ends_with`, `contains`, `not_contains`, `contains_once`, `contains_each_once`, `set_equals`, `unique`, `len`, `min_len`, `max_len`, `type`, `gt`, `ge`, `lt`, `le`, `schema`, `valid_against`, `each`"
    );
}

#[test]
fn a_condition_that_states_nothing_is_refused() {
    let e = one_error(&case_with_step(
        "      - request: {method: GET, path: /}\n        expect: {checks: [{at: body.x, unique: false}]}\n",
    ));
    assert_eq!(
        e.to_string(),
        "cases/t.yaml:10:40: cases[0].steps[0].expect.checks[0].unique: `unique: false` states nothing: leave it out"
    );
}

#[test]
fn a_step_without_a_request_has_nothing_that_needs_an_answer() {
    let e = errors(&case_with_step(
        "      - follow: body.next\n        capture: {x: vars.y}\n        expect: {checks: [{at: body.x, exists: true}]}\n",
    ));
    let text: Vec<String> = e.iter().map(|e| e.to_string()).collect();
    assert!(
        text.contains(&"cases/t.yaml:9:9: cases[0].steps[0].follow: `follow` goes with a step's `request`; this step sends none".to_string()),
        "{text:#?}"
    );
    assert!(
        text.iter().any(|e| e
            .starts_with("cases/t.yaml:10:19: cases[0].steps[0].capture.x: `capture` goes with")),
        "{text:#?}"
    );
}
