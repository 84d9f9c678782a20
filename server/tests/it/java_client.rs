//! WireMock's official Java client (`com.github.tomakehurst.wiremock.client.WireMock`,
//! from the standalone jar in `tests/java/lib`) drives fake-servicer and the
//! reference WireMock the same way; every case of `tests/java/cases/*.java`
//! must observe the same on both, or be listed in
//! `tests/java/known-differences.txt`.
//!
//! The sources under `tests/java` are compiled into
//! `CARGO_TARGET_TMPDIR/java-classes`; two reference servers run from the
//! jar (the one compared against, and an upstream partner the cases may
//! stub), killed when the test ends. `FAKE_SERVICER_JAVA_CASE=<text>` runs
//! only the cases whose name contains the text. Without `javac`/`java` the
//! test is skipped visibly, or fails when `FAKE_SERVICER_REQUIRE_DOCKER=1`
//! (or, without it, `CI`) is set.

use std::{
    io::BufRead,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    sync::mpsc,
    time::Duration,
};
use testkit::workspace_root;

/// How long a reference server may take to say which port it listens on.
const STARTUP_LIMIT: Duration = Duration::from_secs(90);

fn java_dir() -> PathBuf {
    workspace_root().join("server/tests/java")
}

fn jar() -> PathBuf {
    java_dir().join("lib/wiremock-standalone-3.13.2.jar")
}

/// Whether `tool -version` runs.
pub(crate) fn has(tool: &str) -> bool {
    Command::new(tool)
        .arg("-version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Every `*.java` file under `dir`.
fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read the java dir").flatten() {
        let path = entry.path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "java") {
            out.push(path);
        }
    }
}

/// The case classes: the file names of `cases/*.java`, sorted.
fn case_classes() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(java_dir().join("cases"))
        .expect("read the cases dir")
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            name.strip_suffix(".java").map(str::to_owned)
        })
        .collect();
    names.sort();
    names
}

/// Compiles the suite; returns the classes dir.
fn compile() -> PathBuf {
    let classes = Path::new(env!("CARGO_TARGET_TMPDIR")).join("java-classes");
    let _ = std::fs::remove_dir_all(&classes);
    std::fs::create_dir_all(&classes).expect("classes dir");
    let mut files = Vec::new();
    sources(&java_dir(), &mut files);
    let out = Command::new("javac")
        .args(["-encoding", "UTF-8", "-nowarn", "-d"])
        .arg(&classes)
        .arg("-cp")
        .arg(jar())
        .args(&files)
        .output()
        .expect("javac runs");
    assert!(
        out.status.success(),
        "javac failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    classes
}

/// A reference WireMock from the jar on a free port, with its own root
/// dir; killed on drop.
pub(crate) struct Reference {
    child: Child,
    pub(crate) url: String,
    _root: Option<tempfile::TempDir>,
}

impl Reference {
    fn start() -> Reference {
        let root = tempfile::tempdir().expect("root dir");
        let args = ["--port", "0", "--disable-banner", "--root-dir"];
        let mut reference = Reference::start_with(&args, Some(root.path()));
        reference._root = Some(root);
        reference
    }

    /// The jar run with WireMock's command line `args` (`root`, when
    /// given, after them); its URL is read from the `port:` line it
    /// prints, on 127.0.0.1.
    pub(crate) fn start_with(args: &[&str], root: Option<&Path>) -> Reference {
        let mut child = Command::new("java")
            .args(["-Xmx256m", "-jar"])
            .arg(jar())
            .args(args)
            .args(root)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("java starts the reference WireMock");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stdout)
                .lines()
                .map_while(Result::ok)
            {
                let _ = tx.send(line);
            }
        });
        let mut reference = Reference {
            child,
            url: String::new(),
            _root: None,
        };
        let mut seen = Vec::new();
        while let Ok(line) = rx.recv_timeout(STARTUP_LIMIT) {
            let port = line
                .strip_prefix("port:")
                .and_then(|p| p.trim().parse::<u16>().ok());
            if let Some(port) = port {
                reference.url = format!("http://127.0.0.1:{port}");
                return reference;
            }
            seen.push(line);
        }
        panic!("the reference WireMock printed no port within {STARTUP_LIMIT:?}; got {seen:?}");
    }

    /// Polls `/__admin/mappings` until it answers 200.
    pub(crate) async fn ready(&self) {
        let http = testkit::Http::new();
        let url = format!("{}/__admin/mappings", self.url);
        testkit::eventually(STARTUP_LIMIT, "the reference WireMock to answer", || {
            let (http, url) = (http.clone(), url.clone());
            async move {
                match http
                    .send(http::Method::GET, &url, &[], bytes::Bytes::new())
                    .await
                {
                    Ok(r) if r.status == 200 => Ok(()),
                    Ok(r) => Err(format!("status {}", r.status)),
                    Err(e) => Err(e),
                }
            }
        })
        .await;
    }
}

impl Drop for Reference {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_official_java_client_observes_the_same_on_both_servers() {
    const TEST: &str = "the_official_java_client_observes_the_same_on_both_servers";
    if !has("javac") || !has("java") {
        testkit::skip(TEST, "no javac/java on this machine (a JDK 17)");
        return;
    }
    let classes = tokio::task::spawn_blocking(compile)
        .await
        .unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()));
    let (reference, upstream) = tokio::task::spawn_blocking(|| {
        let r = Reference::start();
        let u = Reference::start();
        (r, u)
    })
    .await
    .unwrap();
    reference.ready().await;
    upstream.ready().await;
    let server = testkit::serve(&[], |_| {}).await;

    let classpath = format!("{}:{}", classes.display(), jar().display());
    let mut compat = Command::new("java");
    compat
        .args(["-Xmx256m", "-cp", &classpath, "Compat"])
        .arg(&reference.url)
        .arg(server.url())
        .arg(&upstream.url)
        .arg(java_dir().join("known-differences.txt"))
        .args(case_classes());
    let out = tokio::task::spawn_blocking(move || compat.output().expect("java runs Compat"))
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    println!("{stdout}{}", String::from_utf8_lossy(&out.stderr));
    let failing: Vec<&str> = stdout
        .lines()
        .filter(|l| l.starts_with("DIFF ") || l.starts_with("STALE "))
        .collect();
    assert!(
        out.status.success() && failing.is_empty(),
        "the Java client observed differences (reference first):\n{}\n{}",
        failing.join("\n"),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("SUMMARY "), "{stdout}");
}
