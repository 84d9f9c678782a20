//! Plugins built against an incompatible SDK are refused with a one-line
//! reason that says to rebuild them, and the version already loaded keeps
//! serving; plugins built against an earlier compatible SDK (a root module
//! without the fields appended since) load, and keep what their fields
//! give.

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
    // The whole module's fields: up to its closing brace (the views of
    // earlier modules follow it).
    let module = abi
        .find(routes)
        .map(|at| &abi[at..])
        .and_then(|after| after.split_once("\n}").map(|(fields, _)| fields));
    assert!(
        module.is_some_and(|fields| !fields.contains("pub grpc_descriptors")),
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

/// What `service!` generated before `ServiceModule` had `forget_scope`:
/// the root module ends at `grpc_descriptors` (here the set the test
/// writes to `DESCRIPTORS_PATH`). Its one route answers the names of the
/// headers it is handed, as they come through the ABI.
const PLUGIN_BEFORE_SCOPES: &str = r#"use fake_servicer::abi::{FfiRequest, FfiResponse};
use fake_servicer::Response;

extern "C" fn names(req: &FfiRequest<'_>) -> FfiResponse {
    let names: Vec<String> = req.headers.iter().map(|h| h.name.as_str().to_owned()).collect();
    fake_servicer::__private::call(req, "compat_scopeless", "GET /names", move |_| {
        Response::new().text(names.join(","))
    })
}

const _: () = {
    static __ROUTES: &[::fake_servicer::abi::FfiRoute] = &[::fake_servicer::abi::FfiRoute {
        method: ::fake_servicer::__private::RStr::from_str("GET"),
        path: ::fake_servicer::__private::RStr::from_str("/names"),
        handler: names,
    }];

    fn __root_module() -> ::fake_servicer::abi::ServiceModuleRef {
        use ::fake_servicer::__private::PrefixTypeTrait;
        ::fake_servicer::abi::ServiceModule {
            abi_version: ::fake_servicer::abi::SDK_ABI_VERSION,
            sdk_version: ::fake_servicer::__private::RStr::from_str(::fake_servicer::abi::SDK_VERSION),
            name: ::fake_servicer::__private::RStr::from_str("compat_scopeless"),
            routes: ::fake_servicer::__private::RSlice::from_slice(__ROUTES),
            grpc_descriptors: ::fake_servicer::__private::RSlice::from_slice(include_bytes!("DESCRIPTORS_PATH")),
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

/// The SDK as it was before `forget_scope`: `ServiceModule` ends at
/// `grpc_descriptors`.
fn sdk_without_forget_scope() -> std::path::PathBuf {
    let field = "    pub forget_scope: extern \"C\" fn(RStr<'_>),\n";
    let sdk = sdk_variant("no_forget_scope", |file, text| match file {
        "abi.rs" => {
            let Some(end) = text.find(field).map(|at| at + field.len()) else {
                return text;
            };
            // From the end of `grpc_descriptors` (its doc comment first).
            let descriptors = "    pub grpc_descriptors: RSlice<'static, u8>,\n";
            match text[..end].rfind(descriptors) {
                Some(at) => format!("{}{}", &text[..at + descriptors.len()], &text[end..]),
                None => text,
            }
        }
        _ => text,
    });
    let abi = std::fs::read_to_string(sdk.join("src/abi.rs")).expect("the variant's abi.rs");
    assert!(!abi.contains(field), "the variant still has forget_scope");
    sdk
}

/// A descriptor set of one service, `compat.v1.Scopeless`.
fn scopeless_descriptors() -> Vec<u8> {
    use prost_types::{
        DescriptorProto, FileDescriptorProto, FileDescriptorSet, MethodDescriptorProto,
        ServiceDescriptorProto,
    };
    let set = FileDescriptorSet {
        file: vec![FileDescriptorProto {
            name: Some("scopeless.proto".to_owned()),
            package: Some("compat.v1".to_owned()),
            syntax: Some("proto3".to_owned()),
            message_type: vec![DescriptorProto {
                name: Some("Nothing".to_owned()),
                ..Default::default()
            }],
            service: vec![ServiceDescriptorProto {
                name: Some("Scopeless".to_owned()),
                method: vec![MethodDescriptorProto {
                    name: Some("Ping".to_owned()),
                    input_type: Some(".compat.v1.Nothing".to_owned()),
                    output_type: Some(".compat.v1.Nothing".to_owned()),
                    ..Default::default()
                }],
                ..Default::default()
            }],
            ..Default::default()
        }],
    };
    prost::Message::encode_to_vec(&set)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plugin_of_the_sdk_before_state_per_scope_loads_keeps_its_descriptors_and_is_told_no_scope()
 {
    let descriptors = testkit::tmp_dir().join("compat_scopeless.bin");
    std::fs::create_dir_all(testkit::tmp_dir()).expect("the tmp dir");
    std::fs::write(&descriptors, scopeless_descriptors()).expect("the descriptor set");
    let source =
        PLUGIN_BEFORE_SCOPES.replace("DESCRIPTORS_PATH", &descriptors.display().to_string());
    let old =
        PluginCrate::with_sdk("compat_scopeless", &source, "", &sdk_without_forget_scope()).build();
    let server = testkit::serve(&[old], |_| {}).await;
    let base = server.url();
    let services = Admin::at(base.clone()).services().await;
    assert_eq!(services["refused"], serde_json::json!([]), "{services}");

    // Its requests' scope is not handed over: its headers are the client's.
    let http = Http::new();
    let names = http
        .send(
            http::Method::GET,
            &format!("{base}/compat_scopeless/names"),
            &[("x-fake-servicer-scope", "s1")],
            bytes::Bytes::new(),
        )
        .await
        .expect("an answer")
        .text();
    assert!(names.contains("x-fake-servicer-scope"), "{names}");
    assert!(!names.contains(":fake-servicer"), "{names}");

    // Deleting a scope and a reset reach no plugin state, and fail nothing.
    let admin = Admin::at(base.clone());
    assert_eq!(admin.delete("/__admin/scopes/s1").await.status, 200);
    let reset = admin.call(http::Method::POST, "/__admin/reset", "").await;
    assert_eq!(reset.status, 200);

    // Its descriptors are still read: its service is known.
    let channel = tonic::transport::Endpoint::from_shared(base)
        .expect("the server's URL")
        .connect()
        .await
        .expect("an h2c channel");
    let health = tonic_health::pb::health_client::HealthClient::new(channel);
    eventually(
        Duration::from_secs(10),
        "compat.v1.Scopeless SERVING",
        || {
            let mut health = health.clone();
            async move {
                let asked = tonic_health::pb::HealthCheckRequest {
                    service: "compat.v1.Scopeless".to_owned(),
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
        },
    )
    .await;
}
