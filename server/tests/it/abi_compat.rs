//! Plugins built against an incompatible SDK are refused with a one-line
//! reason that says to rebuild them, and the version already loaded keeps
//! serving; plugins built against an earlier compatible SDK (a root module
//! without the fields appended since) load.

use std::time::Duration;
use testkit::{
    Admin, Http, PluginCrate, eventually, install_like_cargo, sdk_variant, start_server,
};

/// Rewrites one SDK file (by name) of a variant.
type Edit = fn(&str, String) -> String;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plugins_built_against_an_incompatible_sdk_are_refused() {
    let good = PluginCrate::new(
        "compat_good",
        &testkit::answering_plugin("compat", "/v", "good"),
    )
    .build();
    let dir = tempfile::tempdir().unwrap();
    let lib = dir.path().join("libcompat.so");
    install_like_cargo(&good, &lib);
    let server = start_server(dir.path()).await;
    let http = Http::new();
    let base = server.url();
    assert_eq!(http.get(&format!("{base}/compat/v")).await.text(), "good");

    let variants: [(&str, Edit, &[&str]); 3] = [
        (
            "abi_version",
            |file, text| match file {
                "abi.rs" => text.replace(
                    "pub const SDK_ABI_VERSION: u32 = 1;",
                    "pub const SDK_ABI_VERSION: u32 = 99;",
                ),
                _ => text,
            },
            &["ABI v99", "ABI v1", "rebuild the plugin"],
        ),
        (
            "layout",
            |file, text| {
                match file {
                "abi.rs" => text.replace(
                    "#[repr(u8)]\n#[derive(StableAbi, Clone, Copy, Debug, PartialEq, Eq, Hash)]\npub enum FfiFault",
                    "#[repr(u32)]\n#[derive(StableAbi, Clone, Copy, Debug, PartialEq, Eq, Hash)]\npub enum FfiFault",
                ),
                _ => text,
            }
            },
            &["incompatible plugin ABI", "FfiFault", "rebuild the plugin"],
        ),
        (
            "old_sdk",
            |file, text| match file {
                "Cargo.toml" => text.replace(
                    "version = \"0.1.0\"\nedition",
                    "version = \"0.0.9\"\nedition",
                ),
                _ => text,
            },
            &["0.0.9", "0.1.0", "rebuild the plugin"],
        ),
    ];
    for (name, edit, expected) in variants {
        let sdk = sdk_variant(name, edit);
        let manifest = std::fs::read_to_string(sdk.join("Cargo.toml")).unwrap();
        let abi = std::fs::read_to_string(sdk.join("src/abi.rs")).unwrap();
        assert!(
            manifest.contains("0.0.9") || abi.contains("= 99;") || abi.contains("repr(u32)"),
            "variant {name} changed nothing"
        );
        let krate = PluginCrate::with_sdk(
            &format!("compat_{name}"),
            &testkit::answering_plugin("compat", "/v", name),
            "",
            &sdk,
        );
        let built = krate.build();
        install_like_cargo(&built, &lib);
        let error = eventually(
            Duration::from_secs(10),
            &format!("the {name} plugin to be refused"),
            || async {
                let all = Admin::at(base.clone()).services().await;
                let s = &all["services"][0];
                match s["last_error"].as_str() {
                    Some(e) if expected.iter().all(|x| e.contains(x)) => Ok(e.to_owned()),
                    _ => Err(all.to_string()),
                }
            },
        )
        .await;
        assert!(!error.contains('\n'), "one line: {error}");
        assert!(error.len() < 600, "short: {error}");
        println!("{name}: {error}");
        assert_eq!(
            http.get(&format!("{base}/compat/v")).await.text(),
            "good",
            "{name}: old version serves"
        );
    }
}

/// What `service!` generated before `ServiceModule` had `grpc_descriptors`
/// (a field after the prefix): the root module ends at `routes`. Written
/// out, since today's `service!` fills the new field.
const OLD_PLUGIN: &str = r#"use fake_servicer::prelude::*;

#[route(get, "/v")]
fn answer() -> &'static str { "old" }

const _: () = {
    static __ROUTES: &[::fake_servicer::abi::FfiRoute] = &[__fake_servicer_route_answer];

    fn __root_module() -> ::fake_servicer::abi::ServiceModuleRef {
        use ::fake_servicer::__private::PrefixTypeTrait;
        ::fake_servicer::abi::ServiceModule {
            abi_version: ::fake_servicer::abi::SDK_ABI_VERSION,
            sdk_version: ::fake_servicer::__private::RStr::from_str(::fake_servicer::abi::SDK_VERSION),
            name: ::fake_servicer::__private::RStr::from_str("compat_old"),
            routes: ::fake_servicer::__private::RSlice::from_slice(__ROUTES),
        }
        .leak_into_prefix()
    }

    extern "C" fn __load_root_module() -> ::fake_servicer::__private::RootModuleResult {
        ::fake_servicer::__private::__call_root_module_loader(__root_module)
    }

    #[unsafe(export_name = "_1as_0lib_1header_0root_bmodule_bloader")]
    pub static __FAKE_SERVICER_LIB_HEADER: ::fake_servicer::__private::LibHeader = unsafe {
        ::fake_servicer::__private::LibHeader::from_constructor::<::fake_servicer::abi::ServiceModuleRef>(
            __load_root_module,
            ::fake_servicer::__private::CheckTypeLayout::Yes,
        )
    };
};
"#;

/// The SDK as it was before `grpc_descriptors`: `ServiceModule` ends at
/// `routes`.
fn sdk_without_descriptors() -> std::path::PathBuf {
    let routes = "pub routes: RSlice<'static, FfiRoute>,\n";
    let current = std::fs::read_to_string(testkit::workspace_root().join("sdk/src/abi.rs"))
        .expect("the SDK's abi.rs");
    let field = current
        .find(routes)
        .map(|at| &current[at + routes.len()..])
        .and_then(|after| after.split_once("\n}").map(|(fields, _)| fields));
    assert!(
        field.is_some_and(|f| f.contains("pub grpc_descriptors: RSlice<'static, u8>,")),
        "ServiceModule has no grpc_descriptors after routes: {field:?}"
    );
    let sdk = sdk_variant("no_grpc_descriptors", |file, text| match file {
        "abi.rs" => {
            let Some(at) = text.find(routes) else {
                return text;
            };
            let end = at + routes.len();
            match text[end..].find("\n}") {
                // Up to the struct's closing brace.
                Some(rest) => format!("{}{}", &text[..end], &text[end + rest + 1..]),
                None => text,
            }
        }
        _ => text,
    });
    let abi = std::fs::read_to_string(sdk.join("src/abi.rs")).expect("the variant's abi.rs");
    assert!(
        !abi.contains("pub grpc_descriptors") && abi.contains(routes),
        "the variant still has the field"
    );
    sdk
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plugin_without_descriptors_still_loads() {
    let old =
        PluginCrate::with_sdk("compat_old", OLD_PLUGIN, "", &sdk_without_descriptors()).build();
    // Beside a plugin that publishes its descriptors.
    let greeter = testkit::build_example("greeter");
    let server = testkit::serve(&[old, greeter], |_| {}).await;
    let http = Http::new();
    let base = server.url();
    assert_eq!(
        http.get(&format!("{base}/compat_old/v")).await.text(),
        "old"
    );
    let services = Admin::at(base.clone()).services().await;
    let old = services["services"]
        .as_array()
        .and_then(|all| all.iter().find(|s| s["name"] == "compat_old"))
        .unwrap_or_else(|| panic!("compat_old is not served: {services}"));
    assert_eq!(old["last_error"], serde_json::Value::Null, "{services}");
    assert_eq!(services["refused"], serde_json::json!([]), "{services}");

    // The greeter's service is known from its descriptors.
    let channel = tonic::transport::Endpoint::from_shared(base)
        .expect("the server's URL")
        .connect()
        .await
        .expect("an h2c channel");
    let health = tonic_health::pb::health_client::HealthClient::new(channel);
    eventually(Duration::from_secs(10), "the greeter SERVING", || {
        let mut health = health.clone();
        async move {
            let asked = tonic_health::pb::HealthCheckRequest {
                service: "helloworld.Greeter".to_owned(),
            };
            match health.check(asked).await {
                Ok(answer)
                    if answer.get_ref().status()
                        == tonic_health::pb::health_check_response::ServingStatus::Serving =>
                {
                    Ok(())
                }
                other => Err(format!("{other:?}")),
            }
        }
    })
    .await;
}
