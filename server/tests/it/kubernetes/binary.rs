//! The binary's flags for the API, given as environment variables.

use super::*;

/// The binary started with `envs`: the process and the URL it listens
/// on, or what it wrote to stderr when it exited instead.
fn start(envs: &[(&str, &str)]) -> Result<(Child, String), String> {
    let plugins = tempfile::tempdir().expect("a dir");
    let mut child = Command::new(env!("CARGO_BIN_EXE_fake-servicer"))
        .args(["--listen", "127.0.0.1:0", "--docker", "off", "--plugins"])
        .arg(plugins.path())
        .envs(envs.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("fake-servicer starts");
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    while let Ok(line) = rx.recv_timeout(PATIENCE) {
        if let Some(url) = line.strip_prefix("fake-servicer listening on ") {
            return Ok((child, url.trim().to_owned()));
        }
    }
    let _ = child.kill();
    let out = child.wait_with_output().expect("it ends");
    Err(String::from_utf8_lossy(&out.stderr).into_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_and_its_resources_file_are_switched_on_by_environment_variables() {
    let dir = tempfile::tempdir().expect("a dir");
    let file = dir.path().join("resources.json");
    std::fs::write(
        &file,
        json!([{"group": "example.com", "version": "v1", "kind": "Widget", "plural": "widgets", "namespaced": false}]).to_string(),
    )
    .expect("written");
    let path = file.to_string_lossy().into_owned();
    let (mut child, url) = start(&[
        ("FAKE_SERVICER_KUBERNETES", "true"),
        ("FAKE_SERVICER_KUBERNETES_RESOURCES", &path),
    ])
    .unwrap_or_else(|err| panic!("it did not start: {err}"));
    let groups = Http::new().get(&format!("{url}/kubernetes/apis")).await;
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(groups.status, 200, "{}", groups.text());
    assert!(
        groups.text().contains("example.com/v1"),
        "{}",
        groups.text()
    );

    std::fs::write(&file, "not json").expect("written");
    let err = match start(&[
        ("FAKE_SERVICER_KUBERNETES", "true"),
        ("FAKE_SERVICER_KUBERNETES_RESOURCES", &path),
    ]) {
        Ok((mut child, _)) => {
            let _ = child.kill();
            let _ = child.wait();
            panic!("a bad resources file must stop the start");
        }
        Err(err) => err,
    };
    assert!(
        err.contains("--kubernetes-resources") && err.contains("resources.json"),
        "the error names the flag and the file: {err}"
    );
}
