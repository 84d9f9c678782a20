//! Real gRPC clients (grpcio, from PyPI) call stub-only gRPC services:
//! `tests/grpc/test_grpc_stubs.py`, one behaviour per pytest test (unary
//! and server-streaming calls answered by stubs matched on the request as
//! JSON, statuses, near misses, unknown methods, a service known only from
//! a descriptor set, every proto3 JSON shape, templating, reflection v1
//! and v1alpha, health, service-bound stubs, the journal, cancellation,
//! gzip).
//!
//! The server's proto dir is a fresh copy of `tests/grpc/protos/` (the shop
//! service as `.proto` source, with an import) plus
//! `tests/grpc/descriptors/helloworld.dsc` (the greeter as a descriptor set
//! only: its `.proto` is not given to the server). The clients live in the
//! virtualenv of `python_client`; without python3 the test is skipped
//! visibly, or fails where tools are required (`testkit::skip`).

use crate::python_client::{pytest, venv_python};
use std::path::Path;
use testkit::workspace_root;

/// Copies the files under `from` to `to`, keeping their relative paths.
fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("a dir in the proto dir");
    for entry in std::fs::read_dir(from).expect("a fixture dir") {
        let entry = entry.expect("a fixture dir entry");
        let path = entry.path();
        if entry.file_type().expect("a file type").is_dir() {
            copy_tree(&path, &to.join(entry.file_name()));
        } else {
            std::fs::copy(&path, to.join(entry.file_name())).expect("copy a fixture");
        }
    }
}

/// The proto dir the server is given: `protos/`'s tree at its root (the
/// import root) and the greeter's descriptor set.
fn proto_dir() -> tempfile::TempDir {
    let fixtures = workspace_root().join("server/tests/grpc");
    let dir = tempfile::tempdir().expect("a proto dir");
    copy_tree(&fixtures.join("protos"), dir.path());
    std::fs::copy(
        fixtures.join("descriptors/helloworld.dsc"),
        dir.path().join("helloworld.dsc"),
    )
    .expect("copy the greeter's descriptor set");
    dir
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grpcio_clients_call_stub_only_grpc_services() {
    let Some(python) = venv_python() else {
        testkit::skip(
            "grpcio_clients_call_stub_only_grpc_services",
            "no python3 on this machine to make the grpcio virtualenv",
        );
        return;
    };
    let protos = proto_dir();
    let dir = protos.path().to_owned();
    let server = testkit::serve(&[], |c| c.proto_dir = Some(dir)).await;
    let (passed, stdout) = pytest(python, "grpc/test_grpc_stubs.py", &[], server.url()).await;
    assert!(passed, "gRPC client tests failed:\n{stdout}");
    assert!(
        stdout.contains("passed") && !stdout.contains("skipped"),
        "{stdout}"
    );
    // The server goes before its proto dir.
    drop(server);
}

/// A plugin's typed gRPC handlers (`#[grpc]`, the SDK's feature `grpc`)
/// called by grpcio: `tests/grpc/test_grpc_plugin.py` against the
/// `greeter` plugin (`plugins/greeter`: unary and server-streaming methods
/// of `helloworld.Greeter`, statuses, delays between streamed replies, the
/// service named by `:authority`). The server has no proto dir: the plugin
/// alone defines the methods.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grpcio_clients_call_a_plugins_typed_grpc_handlers() {
    let Some(python) = venv_python() else {
        testkit::skip(
            "grpcio_clients_call_a_plugins_typed_grpc_handlers",
            "no python3 on this machine to make the grpcio virtualenv",
        );
        return;
    };
    let greeter = testkit::build_example("greeter");
    let server = testkit::serve(&[greeter], |_| {}).await;
    let (passed, stdout) = pytest(python, "grpc/test_grpc_plugin.py", &[], server.url()).await;
    assert!(passed, "gRPC plugin client tests failed:\n{stdout}");
    assert!(
        stdout.contains("passed") && !stdout.contains("skipped"),
        "{stdout}"
    );
}
