//! The fake Kubernetes API (`--kubernetes`, `docs/stateful.md`) driven by
//! the clients teams use: the Rust `kube` crate ([`kube_crate`]), the Python
//! `kubernetes` package ([`python`]) and kmock's examples ported
//! ([`kmock`]). `kubectl` has its own tests (`kubernetes`).

mod kmock;
mod kube_crate;
mod python;

use testkit::TestServer;

/// A server with the Kubernetes API switched on, and `custom` (custom
/// resources, as the `--kubernetes-resources` file holds them) declared.
pub(crate) async fn kubernetes(
    custom: Option<serde_json::Value>,
) -> (TestServer, Option<tempfile::TempDir>) {
    let dir = custom.map(|list| {
        let dir = tempfile::tempdir().expect("a temporary directory");
        std::fs::write(dir.path().join("crds.json"), list.to_string()).expect("write the file");
        dir
    });
    let file = dir.as_ref().map(|d| d.path().join("crds.json"));
    let server = testkit::serve(&[], |config| {
        config.kubernetes = true;
        config.kubernetes_resources = file;
    })
    .await;
    (server, dir)
}

/// The API's base URL through the `fake-services` prefix route.
pub(crate) fn api_url(server: &TestServer) -> String {
    format!("{}/kubernetes", server.url())
}
