//! Plugins built against an incompatible SDK are refused with a one-line
//! reason that says to rebuild them, and the version already loaded keeps
//! serving.

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
