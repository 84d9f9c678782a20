//! The control plane over real HTTP, one module per resource of the admin
//! API: stubs (CRUD, matching, priority, service scoping, precedence over
//! plugin routes, files), the request journal, next-request overrides,
//! how stubs answer (delays, faults), resets, the admin token, settings,
//! services and thin responses.

mod admin_token;
mod journal;
mod mapping_files;
mod mappings;
mod matching;
mod overrides;
mod resets;
mod responses;
mod services;
mod settings;
mod stub_answers;

use testkit::{Admin, TestServer, serve_examples};

/// A server with the example plugins and its default configuration.
async fn server() -> TestServer {
    serve_examples(|_| {}).await
}

const STATUS: &str = "X-Fake-Servicer-Next-Request-Status";
const BODY: &str = "X-Fake-Servicer-Next-Request-Body";

/// The server holds no stub.
async fn assert_nothing_stored(a: &Admin) {
    assert_eq!(
        a.get("/__admin/mappings").await.json()["meta"]["total"],
        0,
        "nothing stored"
    );
}
