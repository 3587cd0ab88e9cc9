//! End-to-end: the metadefs routes over HTTP, as admin and as a member of another project.

use reqwest::{Client, RequestBuilder, StatusCode};
use serde_json::{json, Value};

use crate::reference::{start, ServerOptions};

fn as_admin(req: RequestBuilder) -> RequestBuilder {
    req.header("x-identity-status", "Confirmed")
        .header("x-project-id", "adm")
        .header("x-roles", "admin,member")
}

fn as_member(req: RequestBuilder) -> RequestBuilder {
    req.header("x-identity-status", "Confirmed")
        .header("x-project-id", "B")
        .header("x-roles", "member")
}

async fn status_and_body(req: RequestBuilder) -> (StatusCode, Value) {
    let resp = req.send().await.unwrap();
    let status = resp.status();
    let text = resp.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

#[tokio::test]
async fn namespace_lifecycle_and_contents() {
    let server = start("127.0.0.1:0".parse().unwrap(), ServerOptions::default())
        .await
        .unwrap();
    let base = server.base_url();
    let http = Client::new();
    let ns_url = format!("{base}/v2/metadefs/namespaces");

    // noauth (admin without roles) may read but not write, like Glance
    let (s, _) = status_and_body(http.post(&ns_url).json(&json!({"namespace": "n"}))).await;
    assert_eq!(s, StatusCode::FORBIDDEN);

    let (s, body) = status_and_body(as_admin(http.post(&ns_url)).json(&json!({
        "namespace": "n",
        "protected": true,
        "resource_type_associations": [{"name": "OS::Glance::Image", "prefix": "hw_"}],
        "properties": {"cpu": {"title": "CPU", "type": "string"}},
        "objects": [{"name": "o", "required": ["p"], "properties": {"p": {"title": "P", "type": "integer"}}}],
        "tags": [{"name": "t"}],
    })))
    .await;
    assert_eq!(s, StatusCode::CREATED);
    assert_eq!(body["owner"], "adm");
    assert_eq!(body["visibility"], "private");

    // prefix applied on show, stripped on property lookup
    let (_, body) = status_and_body(as_admin(
        http.get(format!("{ns_url}/n?resource_type=OS::Glance::Image")),
    ))
    .await;
    assert_eq!(body["properties"]["hw_cpu"]["title"], "CPU");
    assert_eq!(body["objects"][0]["required"], json!(["hw_p"]));
    let (s, body) = status_and_body(as_admin(http.get(format!(
        "{ns_url}/n/properties/hw_cpu?resource_type=OS::Glance::Image"
    ))))
    .await;
    assert_eq!((s, body["name"].clone()), (StatusCode::OK, json!("cpu")));

    // private: hidden from a member; protected: nothing can be deleted
    let (s, _) = status_and_body(as_member(http.get(format!("{ns_url}/n")))).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    for path in [
        "",
        "/objects/o",
        "/properties/cpu",
        "/tags/t",
        "/tags",
        "/resource_types/OS::Glance::Image",
    ] {
        let (s, _) = status_and_body(as_admin(http.delete(format!("{ns_url}/n{path}")))).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{path}");
    }

    // bulk tags replace unless appending; a duplicate changes nothing
    let tags_url = format!("{ns_url}/n/tags");
    let (s, _) = status_and_body(
        as_admin(http.post(&tags_url)).json(&json!({"tags": [{"name": "a"}, {"name": "b"}]})),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED);
    let (s, _) = status_and_body(
        as_admin(http.post(&tags_url))
            .header("x-openstack-append", "true")
            .json(&json!({"tags": [{"name": "a"}]})),
    )
    .await;
    assert_eq!(s, StatusCode::CONFLICT);
    let (_, body) = status_and_body(as_admin(
        http.get(format!("{tags_url}?sort_key=name&sort_dir=asc")),
    ))
    .await;
    assert_eq!(body["tags"], json!([{"name": "a"}, {"name": "b"}]));

    // rename the namespace, unprotect it, delete it: everything goes
    let (s, body) = status_and_body(
        as_admin(http.put(format!("{ns_url}/n")))
            .json(&json!({"namespace": "m", "visibility": "public"})),
    )
    .await;
    assert_eq!(
        (s, body["protected"].clone()),
        (StatusCode::OK, json!(false))
    );
    let (s, body) = status_and_body(as_member(http.get(format!("{ns_url}/m/objects/o")))).await;
    assert_eq!(
        (s, body["self"].clone()),
        (StatusCode::OK, json!("/v2/metadefs/namespaces/m/objects/o"))
    );
    let (s, _) = status_and_body(as_admin(http.delete(format!("{ns_url}/m")))).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _) = status_and_body(as_admin(http.get(format!("{ns_url}/m/tags")))).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (_, body) = status_and_body(http.get(format!("{base}/v2/metadefs/resource_types"))).await;
    assert_eq!(body["resource_types"][0]["name"], "OS::Glance::Image");

    // schemas and unknown paths
    let (s, body) =
        status_and_body(http.get(format!("{base}/v2/schemas/metadefs/resource_type"))).await;
    assert_eq!(
        (s, body["name"].clone()),
        (StatusCode::OK, json!("resource_type_association"))
    );
    let (s, _) = status_and_body(http.get(format!("{base}/v2/schemas/metadefs/bogus"))).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let resp = http.patch(&ns_url).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(resp.headers()["allow"], "GET, POST");
    server.shutdown().await;
}
