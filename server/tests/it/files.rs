//! Files in the watched dirs that must not be read whole, hang the server or
//! lead the watch out of its tree: size caps checked before anything is
//! read, FIFOs, sockets and devices refused without blocking, symlinked
//! directories never followed.

use fake_servicer_server::Config;
use http::StatusCode;
use std::{
    ffi::OsString,
    io::{BufRead, BufReader},
    os::unix::fs::OpenOptionsExt,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    sync::{Arc, Mutex, OnceLock, mpsc},
    time::{Duration, Instant},
};
use testkit::{Http, PluginCrate, TestServer, answering_plugin, eventually};

const WAIT: Duration = Duration::from_secs(10);

/// A valid mapping file: `GET /stubbed` answers `stubbed`.
const MAPPING: &str = r#"{"request": {"method": "GET", "urlPath": "/stubbed"}, "response": {"status": 200, "body": "stubbed"}}"#;

/// A mapping file that must never be loaded: `GET /evil` answers `evil`.
const EVIL_MAPPING: &str = r#"{"request": {"method": "GET", "urlPath": "/evil"}, "response": {"status": 200, "body": "evil"}}"#;

/// The probe plugin: service `probe`, `GET /hello` answers `hi`.
fn probe_library() -> &'static Path {
    static LIB: OnceLock<PathBuf> = OnceLock::new();
    LIB.get_or_init(|| {
        PluginCrate::new("files_probe", &answering_plugin("probe", "/hello", "hi")).build()
    })
}

/// Makes a FIFO at `path`.
fn mkfifo(path: &Path) {
    let status = Command::new("mkfifo")
        .arg(path)
        .status()
        .expect("mkfifo runs");
    assert!(status.success(), "mkfifo {}", path.display());
}

/// A directory outside every watched dir, holding what a link into it must
/// never load: `libevil.so` (not a library) and `evil.json` (a mapping).
fn outside_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("libevil.so"), b"not a library").unwrap();
    std::fs::write(dir.path().join("evil.json"), EVIL_MAPPING).unwrap();
    dir
}

/// Opens every FIFO for writing without blocking when dropped, so a reader
/// stuck on one (the server before FIFOs were refused) is let go and a
/// failing test ends instead of hanging.
struct UnblockFifos(Vec<PathBuf>);

impl Drop for UnblockFifos {
    fn drop(&mut self) {
        for fifo in &self.0 {
            let _ = std::fs::OpenOptions::new()
                .write(true)
                .custom_flags(libc::O_NONBLOCK)
                .open(fifo);
        }
    }
}

/// A running `fake-servicer` binary, killed on drop, with its log.
struct Binary {
    child: Child,
    url: String,
    log: Arc<Mutex<Vec<String>>>,
    started_in: Duration,
}

impl Drop for Binary {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Binary {
    /// Starts the binary on a free loopback port with `args`; panics with its
    /// log unless it is listening within `limit`.
    fn start(args: &[OsString], limit: Duration) -> Binary {
        let started = Instant::now();
        let mut child = Command::new(env!("CARGO_BIN_EXE_fake-servicer"))
            .args(["--listen", "127.0.0.1:0", "--docker", "off"])
            .args(args)
            .env("NO_COLOR", "1")
            .env_remove("RUST_LOG")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("fake-servicer starts");
        let log = Arc::new(Mutex::new(Vec::new()));
        let stderr = child.stderr.take().expect("stderr");
        let lines = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                lines.lock().unwrap().push(line);
            }
        });
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        let mut binary = Binary {
            child,
            url: String::new(),
            log,
            started_in: Duration::ZERO,
        };
        while started.elapsed() < limit {
            match rx.recv_timeout(Duration::from_millis(50)) {
                Ok(line) => {
                    if let Some(url) = line.strip_prefix("fake-servicer listening on ") {
                        binary.url = url.trim().to_owned();
                        binary.started_in = started.elapsed();
                        return binary;
                    }
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    // stdout closed: the process is ending.
                    let status = binary.child.wait();
                    panic!("the server exited ({status:?}): {}", binary.log_text());
                }
            }
            if let Ok(Some(status)) = binary.child.try_wait() {
                panic!("the server exited ({status}): {}", binary.log_text());
            }
        }
        panic!(
            "the server was not listening after {limit:?}: {}",
            binary.log_text()
        );
    }

    fn log_text(&self) -> String {
        // Give the stderr reader a moment to catch up with a dead process.
        std::thread::sleep(Duration::from_millis(100));
        self.log.lock().unwrap().join("\n")
    }

    /// A line from `/proc/<pid>/status` (`VmHWM`, `VmRSS`), in kB.
    fn status_kb(&self, key: &str) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .expect("/proc/<pid>/status");
        status
            .lines()
            .find_map(|l| l.strip_prefix(key)?.strip_prefix(':'))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or_else(|| panic!("{key} in {status}"))
    }

    /// How many inotify watches the process holds.
    fn inotify_watches(&self) -> usize {
        let pid = self.child.id();
        let mut watches = 0;
        for fd in std::fs::read_dir(format!("/proc/{pid}/fd"))
            .expect("fd dir")
            .flatten()
        {
            let is_inotify =
                std::fs::read_link(fd.path()).is_ok_and(|t| t.as_os_str() == "anon_inode:inotify");
            if is_inotify {
                let info = std::fs::read_to_string(format!(
                    "/proc/{pid}/fdinfo/{}",
                    fd.file_name().to_string_lossy()
                ))
                .unwrap_or_default();
                watches += info
                    .lines()
                    .filter(|l| l.starts_with("inotify wd:"))
                    .count();
            }
        }
        watches
    }
}

/// `--plugins <plugins> --mappings <mappings>`.
fn dir_args(plugins: &Path, mappings: &Path) -> Vec<OsString> {
    vec![
        "--plugins".into(),
        plugins.into(),
        "--mappings".into(),
        mappings.into(),
    ]
}

async fn start_with_mappings(plugins: &Path, mappings: &Path) -> TestServer {
    let mut config = Config::local(plugins);
    config.mappings = Some(mappings.to_owned());
    config.quiet_ms = 50;
    testkit::start_with(config).await
}

/// Waits until `url` answers 200 with `body`.
async fn wait_for_answer(http: &Http, url: &str, body: &str) {
    eventually(WAIT, &format!("{url} to answer {body}"), || async {
        let r = http
            .send(http::Method::GET, url, &[], bytes::Bytes::new())
            .await?;
        if r.status == StatusCode::OK && r.text() == body {
            Ok(())
        } else {
            Err(format!("{} {}", r.status, r.text()))
        }
    })
    .await;
}

/// `/__admin/services`' `refused` list.
async fn refused(http: &Http, base: &str) -> Vec<serde_json::Value> {
    let all = http.get(&format!("{base}/__admin/services")).await.json();
    all["refused"].as_array().cloned().unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fifo_named_like_a_plugin_or_a_mapping_file_does_not_keep_the_binary_from_listening() {
    let plugins = tempfile::tempdir().unwrap();
    let mappings = tempfile::tempdir().unwrap();
    std::fs::copy(probe_library(), plugins.path().join("libprobe.so")).unwrap();
    std::fs::write(mappings.path().join("ok.json"), MAPPING).unwrap();
    // Sorted before the real files, so a blocking open stops everything.
    let fifos = UnblockFifos(vec![
        plugins.path().join("libfifo.so"),
        mappings.path().join("fifo.json"),
    ]);
    for fifo in &fifos.0 {
        mkfifo(fifo);
    }

    let server = Binary::start(
        &dir_args(plugins.path(), mappings.path()),
        Duration::from_secs(20),
    );
    let http = Http::new();
    wait_for_answer(&http, &format!("{}/probe/hello", server.url), "hi").await;
    wait_for_answer(&http, &format!("{}/stubbed", server.url), "stubbed").await;
    let log = server.log_text();
    for name in ["libfifo.so", "fifo.json"] {
        assert!(
            log.lines()
                .any(|l| l.contains(name) && l.contains("not a regular file (a FIFO)")),
            "a log line refuses {name}: {log}"
        );
    }
    let refused = refused(&http, &server.url).await;
    assert_eq!(refused.len(), 1, "{refused:?}");
    assert!(refused[0]["file"].as_str().unwrap().ends_with("libfifo.so"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fifo_socket_or_device_added_at_run_time_is_refused_and_later_files_still_load() {
    let plugins = tempfile::tempdir().unwrap();
    let mappings = tempfile::tempdir().unwrap();
    let server = start_with_mappings(plugins.path(), mappings.path()).await;
    let base = server.url();
    let http = Http::new();

    let fifos = UnblockFifos(vec![
        plugins.path().join("libfifo.so"),
        mappings.path().join("fifo.json"),
    ]);
    for fifo in &fifos.0 {
        mkfifo(fifo);
    }
    let _sockets = [
        std::os::unix::net::UnixListener::bind(plugins.path().join("libsock.so")).unwrap(),
        std::os::unix::net::UnixListener::bind(mappings.path().join("sock.json")).unwrap(),
    ];
    std::os::unix::fs::symlink("/dev/zero", plugins.path().join("libzero.so")).unwrap();
    std::os::unix::fs::symlink("/dev/zero", mappings.path().join("zero.json")).unwrap();

    let expected = [
        ("libfifo.so", "a FIFO"),
        ("libsock.so", "a socket"),
        ("libzero.so", "a character device"),
    ];
    eventually(
        WAIT,
        "the FIFO, socket and device to be refused",
        || async {
            let refused = refused(&http, &base).await;
            let all = expected.iter().all(|(name, kind)| {
                refused.iter().any(|r| {
                    r["file"].as_str().is_some_and(|f| f.ends_with(name))
                        && r["error"]
                            .as_str()
                            .is_some_and(|e| e.contains(&format!("not a regular file ({kind})")))
                })
            });
            if all {
                Ok(())
            } else {
                Err(format!("{refused:?}"))
            }
        },
    )
    .await;

    // The watchers still work: files added afterwards load.
    std::fs::copy(probe_library(), plugins.path().join("libprobe.so")).unwrap();
    std::fs::write(mappings.path().join("ok.json"), MAPPING).unwrap();
    wait_for_answer(&http, &format!("{base}/probe/hello"), "hi").await;
    wait_for_answer(&http, &format!("{base}/stubbed"), "stubbed").await;
    drop(fifos);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gigabyte_sparse_plugin_and_mapping_file_are_refused_unread_by_the_default_caps() {
    let plugins = tempfile::tempdir().unwrap();
    let mappings = tempfile::tempdir().unwrap();
    for file in [
        plugins.path().join("libhuge.so"),
        mappings.path().join("huge.json"),
    ] {
        std::fs::File::create(&file)
            .unwrap()
            .set_len(1 << 30)
            .unwrap();
    }
    std::fs::copy(probe_library(), plugins.path().join("libprobe.so")).unwrap();
    std::fs::write(mappings.path().join("ok.json"), MAPPING).unwrap();

    let server = Binary::start(
        &dir_args(plugins.path(), mappings.path()),
        Duration::from_secs(20),
    );
    let http = Http::new();
    wait_for_answer(&http, &format!("{}/probe/hello", server.url), "hi").await;
    wait_for_answer(&http, &format!("{}/stubbed", server.url), "stubbed").await;
    let peak_mb = server.status_kb("VmHWM") / 1024;
    println!(
        "peak RSS {peak_mb} MB, listening after {:?}",
        server.started_in
    );
    assert!(
        peak_mb < 150,
        "peak RSS {peak_mb} MB: a file over the cap was read"
    );

    let log = server.log_text();
    for (name, cap, flag) in [
        ("libhuge.so", "536870912", "--max-plugin-bytes"),
        ("huge.json", "8388608", "--max-mapping-file-bytes"),
    ] {
        assert!(
            log.lines().any(|l| l.contains(name)
                && l.contains("1073741824 bytes")
                && l.contains(cap)
                && l.contains(flag)),
            "a log line refuses {name} naming the cap {cap}: {log}"
        );
    }
    let refused = refused(&http, &server.url).await;
    assert_eq!(refused.len(), 1, "{refused:?}");
    assert!(
        refused[0]["error"]
            .as_str()
            .is_some_and(|e| e.contains("536870912")),
        "{refused:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn symlinks_to_the_root_and_usr_do_not_lead_the_start_up_watch_out_of_the_tree() {
    let plugins = tempfile::tempdir().unwrap();
    let mappings = tempfile::tempdir().unwrap();
    let outside = outside_dir();
    for dir in [plugins.path(), mappings.path()] {
        std::os::unix::fs::symlink("/", dir.join("root")).unwrap();
        std::os::unix::fs::symlink("/usr", dir.join("usr")).unwrap();
        std::os::unix::fs::symlink(outside.path(), dir.join("outside")).unwrap();
    }
    std::fs::copy(probe_library(), plugins.path().join("libprobe.so")).unwrap();
    std::fs::write(mappings.path().join("ok.json"), MAPPING).unwrap();

    let server = Binary::start(
        &dir_args(plugins.path(), mappings.path()),
        Duration::from_secs(20),
    );
    let http = Http::new();
    wait_for_answer(&http, &format!("{}/probe/hello", server.url), "hi").await;
    wait_for_answer(&http, &format!("{}/stubbed", server.url), "stubbed").await;
    let watches = server.inotify_watches();
    println!(
        "{watches} inotify watches, listening after {:?}",
        server.started_in
    );
    // One per watched directory (none has subdirectories).
    assert!(watches <= 2, "{watches} inotify watches");
    let refused = refused(&http, &server.url).await;
    assert!(refused.is_empty(), "{refused:?}");
    let evil = http.get(&format!("{}/evil", server.url)).await;
    assert_eq!(evil.status, StatusCode::NOT_FOUND, "{}", evil.text());
    let log = server.log_text();
    let outside = outside.path().display().to_string();
    assert!(
        !log.contains("/usr/") && !log.contains(&outside),
        "nothing outside the tree is named: {log}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_symlinked_directory_added_at_run_time_is_not_scanned() {
    let plugins = tempfile::tempdir().unwrap();
    let mappings = tempfile::tempdir().unwrap();
    let outside = outside_dir();
    let server = start_with_mappings(plugins.path(), mappings.path()).await;
    let base = server.url();
    let http = Http::new();

    for dir in [plugins.path(), mappings.path()] {
        std::os::unix::fs::symlink("/usr", dir.join("usr")).unwrap();
        std::os::unix::fs::symlink(outside.path(), dir.join("outside")).unwrap();
    }
    // Files added after the links: once they are served, the links' events
    // have been handled.
    std::fs::copy(probe_library(), plugins.path().join("libprobe.so")).unwrap();
    std::fs::write(mappings.path().join("ok.json"), MAPPING).unwrap();
    wait_for_answer(&http, &format!("{base}/probe/hello"), "hi").await;
    wait_for_answer(&http, &format!("{base}/stubbed"), "stubbed").await;

    let refused = refused(&http, &base).await;
    assert!(refused.is_empty(), "{refused:?}");
    let evil = http.get(&format!("{base}/evil")).await;
    assert_eq!(evil.status, StatusCode::NOT_FOUND, "{}", evil.text());
    let stubs = http.get(&format!("{base}/__admin/mappings")).await.json();
    assert_eq!(stubs["meta"]["total"], 1, "{stubs}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn macos_and_windows_libraries_are_refused_saying_how_to_build_instead() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("libpayments.dylib"),
        b"\xcf\xfa\xed\xfe\x07\x00\x00\x01 a Mach-O library",
    )
    .unwrap();
    std::fs::write(dir.path().join("payments.dll"), b"MZ\x90\x00 a PE library").unwrap();
    let server = testkit::start_server(dir.path()).await;
    let refusals = refused(&Http::new(), &server.url()).await;
    assert_eq!(refusals.len(), 2, "{refusals:?}");
    for r in &refusals {
        let error = r["error"].as_str().unwrap_or_default();
        assert!(
            error.contains("this server loads Linux (ELF) libraries")
                && error.contains("--sources"),
            "{error}"
        );
    }
    assert!(
        refusals
            .iter()
            .any(|r| r["error"].as_str().unwrap_or("").contains("Mach-O"))
    );
    assert!(
        refusals
            .iter()
            .any(|r| r["error"].as_str().unwrap_or("").contains("Windows (PE)"))
    );
}
