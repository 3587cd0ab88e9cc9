//! End-to-end: start the server on a free port and drive it over HTTP.

use std::net::SocketAddr;

use reqwest::{Client, StatusCode};
use serde_json::{json, Value};

use super::{start, ServerOptions};

async fn body(resp: reqwest::Response) -> Value {
    resp.json().await.expect("JSON body")
}

#[tokio::test]
async fn create_tag_page_delete() {
    let listen: SocketAddr = "127.0.0.1:0".parse().unwrap();
    let server = start(listen, ServerOptions::default()).await.unwrap();
    let base = server.base_url();
    assert!(base.starts_with("http://127.0.0.1:"));
    assert_ne!(server.addr().port(), 0);
    let http = Client::new();

    // versions
    let resp = http.get(format!("{base}/")).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::MULTIPLE_CHOICES);
    let versions = body(resp).await;
    assert_eq!(versions["versions"][0]["id"], "v2.18");
    assert_eq!(
        versions["versions"][0]["links"][0]["href"],
        format!("{base}/v2/")
    );

    // create three images
    let mut ids = Vec::new();
    for i in 0..3 {
        let resp = http
            .post(format!("{base}/v2/images"))
            .json(&json!({"name": format!("img-{i}"), "tags": ["t"], "login-user": "kvothe"}))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::CREATED);
        assert!(resp.headers().contains_key("x-openstack-request-id"));
        let location = resp.headers()["location"].to_str().unwrap().to_string();
        let image = body(resp).await;
        let id = image["id"].as_str().unwrap().to_string();
        assert_eq!(location, format!("{base}/v2/images/{id}"));
        assert_eq!(image["status"], "queued");
        assert_eq!(image["visibility"], "shared");
        assert_eq!(image["owner"], Value::Null);
        assert_eq!(image["login-user"], "kvothe");
        ids.push(id);
    }

    // tag the first one (twice: idempotent), with an encoded space
    for _ in 0..2 {
        let resp = http
            .put(format!("{base}/v2/images/{}/tags/with%20space", ids[0]))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    }
    let image = body(
        http.get(format!("{base}/v2/images/{}", ids[0]))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(image["tags"], json!(["t", "with space"]));
    let resp = http
        .get(format!("{base}/v2/images?tag=with%20space"))
        .send()
        .await
        .unwrap();
    assert_eq!(body(resp).await["images"].as_array().unwrap().len(), 1);

    // page through with limit 2: newest first, following next
    let mut url = format!("{base}/v2/images?limit=2");
    let mut seen = Vec::new();
    let mut pages = 0;
    loop {
        let resp = http.get(&url).send().await.unwrap();
        assert_eq!(resp.status(), StatusCode::OK);
        let page = body(resp).await;
        assert_eq!(page["first"], "/v2/images?limit=2");
        assert_eq!(page["schema"], "/v2/schemas/images");
        for img in page["images"].as_array().unwrap() {
            seen.push(img["id"].as_str().unwrap().to_string());
        }
        pages += 1;
        match page.get("next").and_then(Value::as_str) {
            Some(next) => url = format!("{base}{next}"),
            None => break,
        }
    }
    assert_eq!(pages, 2);
    let expected: Vec<String> = ids.iter().rev().cloned().collect();
    assert_eq!(seen, expected);

    // PATCH
    let resp = http
        .patch(format!("{base}/v2/images/{}", ids[1]))
        .header("content-type", "application/openstack-images-v2.1-json-patch")
        .body(r#"[{"op":"replace","path":"/name","value":"renamed"},{"op":"remove","path":"/login-user"}]"#)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let image = body(resp).await;
    assert_eq!(image["name"], "renamed");
    assert!(image.get("login-user").is_none());
    let resp = http
        .patch(format!("{base}/v2/images/{}", ids[1]))
        .json(&json!([]))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert!(resp.headers().contains_key("accept-patch"));

    // errors: JSON when asked for, 405 with Allow
    let resp = http
        .get(format!(
            "{base}/v2/images/00000000-0000-0000-0000-000000000000"
        ))
        .header("accept", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    let err = body(resp).await;
    assert_eq!(err["code"], "404 Not Found");
    assert_eq!(err["title"], "Not Found");
    let resp = http.put(format!("{base}/v2/images")).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(resp.headers()["allow"], "GET, POST");

    // delete: 204, then 404 on GET and on a second DELETE; the id cannot be reused
    let resp = http
        .delete(format!("{base}/v2/images/{}", ids[2]))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    for _ in 0..1 {
        let resp = http
            .get(format!("{base}/v2/images/{}", ids[2]))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    }
    let resp = http
        .delete(format!("{base}/v2/images/{}", ids[2]))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    let resp = http
        .post(format!("{base}/v2/images"))
        .json(&json!({"id": ids[2]}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::CONFLICT);

    let resp = http.get(format!("{base}/v2/images")).send().await.unwrap();
    assert_eq!(body(resp).await["images"].as_array().unwrap().len(), 2);

    server.shutdown().await;
    assert!(http.get(format!("{base}/versions")).send().await.is_err());
}

#[tokio::test]
async fn identity_headers_scope_visibility() {
    let server = start("127.0.0.1:0".parse().unwrap(), ServerOptions::default())
        .await
        .unwrap();
    let base = server.base_url();
    let http = Client::new();
    let as_project = |req: reqwest::RequestBuilder, project: &str| {
        req.header("x-identity-status", "Confirmed")
            .header("x-project-id", project)
            .header("x-roles", "member")
    };
    let resp = as_project(http.post(format!("{base}/v2/images")), "A")
        .json(&json!({"visibility": "private"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::CREATED);
    let image = body(resp).await;
    assert_eq!(image["owner"], "A");
    let id = image["id"].as_str().unwrap();

    let resp = as_project(http.get(format!("{base}/v2/images/{id}")), "B")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    let resp = as_project(http.get(format!("{base}/v2/images/{id}")), "A")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let resp = as_project(http.post(format!("{base}/v2/images")), "A")
        .json(&json!({"visibility": "public"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    server.shutdown().await;
}

#[tokio::test]
async fn upload_then_deactivate_and_reactivate() {
    let server = start("127.0.0.1:0".parse().unwrap(), ServerOptions::default())
        .await
        .unwrap();
    let base = server.base_url();
    let http = Client::new();
    let member = |req: reqwest::RequestBuilder| {
        req.header("x-identity-status", "Confirmed")
            .header("x-project-id", "A")
            .header("x-roles", "member")
    };
    let resp = member(http.post(format!("{base}/v2/images")))
        .json(&json!({"disk_format": "raw", "container_format": "bare"}))
        .send()
        .await
        .unwrap();
    let id = body(resp).await["id"].as_str().unwrap().to_string();
    let image_url = format!("{base}/v2/images/{id}");
    let action = |name: &str| format!("{image_url}/actions/{name}");

    // a queued image has no data and cannot be deactivated
    let resp = member(http.get(format!("{image_url}/file")))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    let resp = member(http.post(action("deactivate")))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);

    // upload: only octet-stream, then active with size and hashes
    let resp = member(http.put(format!("{image_url}/file")))
        .header("content-type", "application/json")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let resp = member(http.put(format!("{image_url}/file")))
        .header("content-type", "application/octet-stream")
        .body("hello world")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    let image = body(member(http.get(&image_url)).send().await.unwrap()).await;
    assert_eq!(image["status"], "active");
    assert_eq!(image["size"], 11);
    assert_eq!(image["checksum"], "5eb63bbbe01eeed093cb22bb8f5acdc3");
    let resp = member(http.put(format!("{image_url}/file")))
        .header("content-type", "application/octet-stream")
        .body("again")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::CONFLICT);

    // deactivate (twice), download refused to the member, allowed to an admin
    for _ in 0..2 {
        let resp = member(http.post(action("deactivate")))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    }
    let resp = member(http.get(format!("{image_url}/file")))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    let resp = http.get(format!("{image_url}/file")).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.text().await.unwrap(), "hello world");

    // routing edges: unknown action, GET on an action, a body
    let resp = http.post(action("bogus")).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    let resp = http.get(action("reactivate")).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(resp.headers()["allow"], "POST");
    let resp = http
        .post(action("reactivate"))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);

    // reactivate: the member can download again
    let resp = member(http.post(action("reactivate")))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    let resp = member(http.get(format!("{image_url}/file")))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    // md5 of "hello world", base64 as RFC 1864 has it (Glance sends hex: a declared deviation).
    assert_eq!(resp.headers()["content-md5"], "XrY7u+Ae7tCTyyK7j1rNww==");
    server.shutdown().await;
}

/// Admin headers of one project, as trusted identity headers.
fn admin(req: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
    req.header("x-identity-status", "Confirmed")
        .header("x-project-id", "p1")
        .header("x-user-id", "u1")
        .header("x-roles", "admin,member")
}

#[tokio::test]
async fn imports_make_tasks_that_page_and_cache_entries_outlive_images() {
    let server = start("127.0.0.1:0".parse().unwrap(), ServerOptions::default())
        .await
        .unwrap();
    let base = server.base_url();
    let http = Client::new();

    // Three glance-direct imports by project p1: three tasks.
    let mut images = Vec::new();
    for _ in 0..3 {
        let resp = admin(http.post(format!("{base}/v2/images")))
            .json(&json!({"disk_format": "raw", "container_format": "bare"}))
            .send()
            .await
            .unwrap();
        let id = body(resp).await["id"].as_str().unwrap().to_string();
        let resp = admin(http.put(format!("{base}/v2/images/{id}/stage")))
            .header("content-type", "application/octet-stream")
            .body("data")
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::NO_CONTENT);
        let resp = admin(http.post(format!("{base}/v2/images/{id}/import")))
            .json(&json!({"method": {"name": "glance-direct"}}))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::ACCEPTED);
        images.push(id);
    }
    let tasks = body(
        admin(http.get(format!("{base}/v2/images/{}/tasks", images[0])))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(tasks["tasks"][0]["owner"], "p1");
    assert_eq!(tasks["tasks"][0]["deleted"], false);

    // Two pages of two walk all three tasks once, newest first; the last has no `next`.
    let mut seen = Vec::new();
    let mut next = Some("/v2/tasks?limit=2".to_string());
    while let Some(path) = next.take() {
        let page = body(
            admin(http.get(format!("{base}{path}")))
                .send()
                .await
                .unwrap(),
        )
        .await;
        for t in page["tasks"].as_array().unwrap() {
            assert!(t.get("input").is_none(), "list items carry no input");
            seen.push(t["id"].as_str().unwrap().to_string());
        }
        next = page["next"].as_str().map(str::to_string);
    }
    assert_eq!(seen.len(), 3);
    let resp = http.get(format!("{base}/v2/tasks")).send().await.unwrap();
    assert_eq!(
        resp.status(),
        StatusCode::FORBIDDEN,
        "noauth has no admin role"
    );

    // Cache an image, delete the image: the entry stays until it is deleted itself.
    let id = &images[1];
    let resp = admin(http.put(format!("{base}/v2/cache/{id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::ACCEPTED);
    let resp = admin(http.delete(format!("{base}/v2/images/{id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    let state = body(
        admin(http.get(format!("{base}/v2/cache")))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(state["cached_images"][0]["image_id"], id.as_str());
    assert_eq!(state["cached_images"][0]["size"], 4);
    for expected in [StatusCode::NO_CONTENT, StatusCode::NOT_FOUND] {
        let resp = admin(http.delete(format!("{base}/v2/cache/{id}")))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), expected);
    }
    server.shutdown().await;
}
