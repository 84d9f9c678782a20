//! The server's integration tests: one binary (so the server is linked
//! once, not once per file), one module per subject. What they share is
//! the `testkit` crate (`testkit/`).
//!
//! Run one module with a filter: `cargo test -p fake-servicer --test it
//! admin_api::journal::`. Tests run in parallel threads of this one
//! process; none changes process-wide state (environment, working
//! directory, resource limits, signal handlers). Figures a test measures
//! on its own process (the soak's RSS) count every test running beside it:
//! run it alone for them (see `soak`).

mod abi_compat;
mod admin_api;
mod admin_compat;
mod attack_soak;
mod body_files;
mod cli;
mod cors_gzip;
mod docker;
mod files;
mod grpc_clients;
mod grpc_plugin_descriptors;
mod grpc_steering;
mod grpc_stub_checks;
mod grpc_tls_reload;
mod grpc_tonic;
mod hot_reload;
mod java_client;
mod kubernetes;
mod kubernetes_clients;
mod limits;
mod matchers;
mod memory;
mod proxy_record;
mod python_client;
mod resources;
mod scopes;
mod sdk_plugin;
mod slow_readers;
mod soak;
mod sources;
mod streams;
mod stub_services;
mod templating;
mod tls;
mod waits_hardening;
mod webhooks;
mod wire;
mod wiremock_differential;

/// The testkit finds at run time what cargo tells these tests at compile
/// time.
#[test]
fn the_testkit_finds_cargos_scratch_dir() {
    assert_eq!(
        testkit::tmp_dir(),
        std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
    );
}
