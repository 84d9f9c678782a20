//! gRPC beyond h2c on one version: a call over HTTPS (HTTP/2 by ALPN,
//! trusting only the server's CA, the service named by SNI), and a plugin's
//! server stream that a hot reload of its library does not cut short.
//!
//! The calls are raw HTTP/2 (hyper over rustls or plain TCP): messages
//! framed with `fake_servicer_grpc::encode_message`, answers read frame by
//! frame, `grpc-status` from the headers or the trailers.

use crate::grpc_tonic::PATIENCE;
use bytes::{Buf, Bytes, BytesMut};
use fake_servicer_grpc::{Catalog, Method};
use fake_servicer_server::Config;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use rustls::pki_types::{CertificateDer, ServerName, pem::PemObject};
use serde_json::{Value, json};
use std::{
    path::PathBuf,
    sync::{Arc, OnceLock},
    time::{Duration, Instant},
};
use testkit::{Admin, PluginCrate, eventually, serve, start_with, workspace_root};

type H2Sender = hyper::client::conn::http2::SendRequest<Full<Bytes>>;

/// HTTP/2 over `io`; the connection runs on its own task.
async fn h2<T>(io: T) -> H2Sender
where
    T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let (send, conn) =
        hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(io))
            .await
            .expect("an HTTP/2 handshake");
    tokio::spawn(conn);
    send
}

/// Method `path` of the `.proto` files in `dir`.
fn method_of(dir: PathBuf, path: &str) -> Method {
    let (catalog, problems) = Catalog::load_dir(&dir, 1 << 20);
    assert!(problems.is_empty(), "{problems:?}");
    catalog
        .method(path)
        .unwrap_or_else(|| panic!("no {path} in {}", dir.display()))
}

/// An open gRPC call: its answer's body, read one message at a time.
struct Call {
    method: Method,
    body: Incoming,
    buffer: BytesMut,
    status: Option<String>,
}

impl Call {
    /// Calls `method` at `uri` (its authority names the service) with
    /// `message` (proto3 JSON); the answer must be HTTP 200.
    async fn open(send: &mut H2Sender, uri: &str, method: &Method, message: Value) -> Call {
        let framed = fake_servicer_grpc::encode_message(
            &method
                .request_from_json(&message)
                .expect("a request message"),
        );
        let request = http::Request::post(uri)
            .header("content-type", "application/grpc")
            .header("te", "trailers")
            .body(Full::new(framed))
            .expect("a request");
        send.ready().await.expect("the connection is open");
        let response = send.send_request(request).await.expect("an answer");
        assert_eq!(response.status(), 200, "{:?}", response.headers());
        let status = grpc_status(response.headers());
        Call {
            method: method.clone(),
            body: response.into_body(),
            buffer: BytesMut::new(),
            status,
        }
    }

    /// The next message as proto3 JSON; `None` at the end of the answer.
    async fn next(&mut self) -> Option<Value> {
        loop {
            if self.buffer.len() >= 5 {
                let len = u32::from_be_bytes(self.buffer[1..5].try_into().unwrap()) as usize;
                if self.buffer.len() >= 5 + len {
                    assert_eq!(self.buffer[0], 0, "an uncompressed message");
                    self.buffer.advance(5);
                    let message = self.buffer.split_to(len);
                    let text = self
                        .method
                        .response_to_json(&message)
                        .expect("an answer message");
                    return Some(serde_json::from_str(&text).expect("JSON"));
                }
            }
            let frame = tokio::time::timeout(PATIENCE, self.body.frame())
                .await
                .expect("the answer goes on within the patience")?
                .expect("a frame of the answer");
            match frame.into_data() {
                Ok(data) => self.buffer.extend_from_slice(&data),
                Err(frame) => {
                    if let Ok(trailers) = frame.into_trailers() {
                        self.status = self.status.take().or(grpc_status(&trailers));
                    }
                }
            }
        }
    }

    /// Every message left, and the call's `grpc-status`.
    async fn rest(mut self) -> (Vec<Value>, Option<String>) {
        let mut messages = Vec::new();
        while let Some(message) = self.next().await {
            messages.push(message);
        }
        assert!(self.buffer.is_empty(), "a partial message at the end");
        (messages, self.status)
    }
}

fn grpc_status(headers: &http::HeaderMap) -> Option<String> {
    headers
        .get("grpc-status")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_grpc_call_over_tls_is_answered_with_a_certificate_from_the_ca() {
    let protos = workspace_root().join("server/tests/grpc/protos");
    let get_order = method_of(protos.clone(), "/shop.v1.Shop/GetOrder");
    let server = start_with(Config {
        plugins: None,
        tls_listen: Some("127.0.0.1:0".into()),
        proto_dir: Some(protos),
        ..Config::local("/nonexistent")
    })
    .await;
    let admin = Admin::new(&server);
    admin
        .stub(json!({
            "request": {"method": "POST", "urlPath": "/shop.v1.Shop/GetOrder", "service": "shop"},
            "response": {"jsonBody": {"id": "o-1"}}
        }))
        .await;
    let ca = admin.get("/__admin/ca.pem").await;
    assert_eq!(ca.status, 200, "{}", ca.text());

    // Only the server's CA is trusted; the certificate must be for `shop`.
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(ca.text().as_bytes()) {
        roots.add(cert.expect("a PEM certificate")).expect("the CA");
    }
    let mut tls = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    tls.alpn_protocols = vec![b"h2".to_vec()];
    let addr = server.tls_addr().expect("HTTPS is on");
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let stream = tokio_rustls::TlsConnector::from(Arc::new(tls))
        .connect(ServerName::try_from("shop").unwrap(), tcp)
        .await
        .expect("a TLS handshake with a certificate for shop from the CA");
    assert_eq!(stream.get_ref().1.alpn_protocol(), Some(&b"h2"[..]));
    let mut send = h2(stream).await;

    let uri = format!("https://shop:{}/shop.v1.Shop/GetOrder", addr.port());
    let call = Call::open(&mut send, &uri, &get_order, json!({"id": "o-1"})).await;
    let (messages, status) = call.rest().await;
    assert_eq!(messages, [json!({"id": "o-1"})]);
    assert_eq!(status.as_deref(), Some("0"));

    let journal = admin.get("/__admin/requests").await.json();
    let entry = &journal["requests"][0]["request"];
    assert_eq!(entry["url"], "/shop.v1.Shop/GetOrder", "{journal}");
    assert_eq!(
        (&entry["protocol"], &entry["scheme"]),
        (&json!("HTTP/2.0"), &json!("https"))
    );
}

/// A second build of `plugins/greeter` (same service, `greeter`), whose
/// `SayHello` greets with `hello again`: a copy of the crate under another
/// package name, so the shared build of `greeter` is left alone.
fn greeter_v2() -> &'static PathBuf {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT.get_or_init(|| {
        let from = workspace_root().join("plugins/greeter");
        let src = std::fs::read_to_string(from.join("src/lib.rs")).unwrap();
        let edited = src.replace(r#"unwrap_or("hello")"#, r#"unwrap_or("hello again")"#);
        assert_ne!(src, edited, "the greeter's default greeting moved");
        let krate = PluginCrate::new("greeter_reload_v2", &edited);
        let manifest = std::fs::read_to_string(from.join("Cargo.toml"))
            .unwrap()
            .replace(r#"name = "greeter""#, r#"name = "greeter_reload_v2""#)
            .replace(
                r#"path = "../../sdk""#,
                &format!("path = {:?}", workspace_root().join("sdk")),
            );
        std::fs::write(krate.manifest(), format!("{manifest}\n[workspace]\n")).unwrap();
        std::fs::copy(from.join("build.rs"), krate.dir.join("build.rs")).unwrap();
        std::fs::create_dir_all(krate.dir.join("proto")).unwrap();
        std::fs::copy(
            from.join("proto/helloworld.proto"),
            krate.dir.join("proto/helloworld.proto"),
        )
        .unwrap();
        krate.build()
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plugin_stream_open_during_a_reload_finishes_on_the_old_version() {
    let v1 = testkit::build_example("greeter");
    let v2 = greeter_v2().clone();
    let server = serve(std::slice::from_ref(&v1), |_| {}).await;
    let admin = Admin::new(&server);
    let before = admin.service("greeter").await["generation"]
        .as_u64()
        .expect("the greeter is loaded");
    let protos = workspace_root().join("plugins/greeter/proto");
    let stream_method = method_of(protos.clone(), "/helloworld.Greeter/SayHelloStream");
    let hello = method_of(protos, "/helloworld.Greeter/SayHello");
    let base = format!("http://greeter:{}", server.addr().port());
    let mut send = h2(tokio::net::TcpStream::connect(server.addr()).await.unwrap()).await;

    let mut stream = Call::open(
        &mut send,
        &format!("{base}/helloworld.Greeter/SayHelloStream"),
        &stream_method,
        json!({"name": "Ada", "times": 20}),
    )
    .await;
    assert_eq!(
        stream.next().await,
        Some(json!({"message": "hello #1, Ada"}))
    );
    let first_reply = Instant::now();

    // A new build under the same file name, as cargo installs one.
    let lib = server.plugin_dir().join(v1.file_name().unwrap());
    testkit::install_like_cargo(&v2, &lib);
    eventually(PATIENCE, "the new greeter loaded and answering", || {
        let (admin, mut send, hello, base) = (&admin, send.clone(), &hello, &base);
        async move {
            let generation = admin.service("greeter").await["generation"].as_u64();
            if generation <= Some(before) {
                return Err(format!("generation {generation:?}"));
            }
            let uri = format!("{base}/helloworld.Greeter/SayHello");
            let call = Call::open(&mut send, &uri, hello, json!({"name": "Bob"})).await;
            match call.rest().await {
                (m, Some(s)) if s == "0" && m == [json!({"message": "hello again, Bob"})] => Ok(()),
                other => Err(format!("{other:?}")),
            }
        }
    })
    .await;
    // 20 replies take about 1.9 s after the first: the reload came while
    // the stream was still sending.
    let reloaded_after = first_reply.elapsed();
    assert!(
        reloaded_after < Duration::from_millis(1500),
        "the reload took {reloaded_after:?}: the stream may have ended before it"
    );
    let (rest, status) = stream.rest().await;
    let expected: Vec<Value> = (2..=20)
        .map(|i| json!({"message": format!("hello #{i}, Ada")}))
        .collect();
    assert_eq!(rest, expected);
    assert_eq!(status.as_deref(), Some("0"));
}
