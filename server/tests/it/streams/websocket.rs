//! WebSocket answers from stubs: messages on open, replies to matching
//! messages, pushes, closes, the journal; Rust's tokio-tungstenite as the
//! client (Python's `websockets` in `clients`).

use super::{PATIENCE, push, until_open};
use futures_util::{SinkExt, StreamExt};
use http::StatusCode;
use serde_json::{Value, json};
use std::time::Duration;
use testkit::{Admin, TestServer, serve};
use tokio_tungstenite::{
    WebSocketStream,
    tungstenite::{
        Message,
        protocol::{CloseFrame, frame::coding::CloseCode},
    },
};

type Socket = WebSocketStream<tokio::net::TcpStream>;

/// A stub answering `GET path` with `web_socket`.
fn socket_stub(path: &str, web_socket: Value) -> Value {
    json!({
        "request": {"method": "GET", "urlPath": path},
        "response": {"webSocket": web_socket}
    })
}

/// A server with `stubs`.
async fn with_stubs(stubs: &[Value]) -> TestServer {
    let server = serve(&[], |_| {}).await;
    for stub in stubs {
        Admin::new(&server).stub(stub.clone()).await;
    }
    server
}

/// A WebSocket to `path`, with `headers` on the handshake.
async fn connect(server: &TestServer, path: &str, headers: &[(&str, &str)]) -> Socket {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let mut req = format!("ws://{}{path}", server.addr())
        .into_client_request()
        .expect("a WebSocket request");
    for (name, value) in headers {
        req.headers_mut().insert(
            http::HeaderName::from_bytes(name.as_bytes()).expect("a header name"),
            http::HeaderValue::from_str(value).expect("a header value"),
        );
    }
    let tcp = tokio::net::TcpStream::connect(server.addr())
        .await
        .expect("connect");
    let (socket, answer) = tokio_tungstenite::client_async(req, tcp)
        .await
        .expect("the handshake");
    assert_eq!(answer.status(), StatusCode::SWITCHING_PROTOCOLS);
    socket
}

/// The next message (10 s at most).
async fn next(socket: &mut Socket) -> Message {
    match tokio::time::timeout(PATIENCE, socket.next()).await {
        Ok(Some(Ok(message))) => message,
        Ok(other) => panic!("no message: {other:?}"),
        Err(_) => panic!("no message within {PATIENCE:?}"),
    }
}

/// The next message, which is a close frame: the frame.
async fn next_close(socket: &mut Socket) -> CloseFrame {
    match next(socket).await {
        Message::Close(Some(frame)) => frame,
        other => panic!("expected a close frame, got {other:?}"),
    }
}

/// The next message, which is text.
async fn next_text(socket: &mut Socket) -> String {
    match next(socket).await {
        Message::Text(t) => t.to_string(),
        other => panic!("expected text, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_websocket_stub_greets_on_open_and_replies_to_the_messages_it_matches() {
    let server = with_stubs(&[socket_stub(
        "/chat",
        json!({
            "send": [{"text": "welcome"}, {"json": {"v": 1}}],
            "replies": [
                {"when": {"equalTo": "ping"}, "send": [{"text": "pong"}]},
                {"when": {"matchesJsonPath": "$.subscribe"}, "send": [{"json": {"subscribed": true}}, {"binary": "AAE="}]}
            ]
        }),
    )])
    .await;
    let mut socket = connect(&server, "/chat", &[]).await;
    assert_eq!(next_text(&mut socket).await, "welcome");
    assert_eq!(next_text(&mut socket).await, "{\"v\":1}");
    socket.send(Message::text("hello?")).await.expect("send");
    socket.send(Message::text("ping")).await.expect("send");
    // Nothing answers "hello?": the next message is ping's pong.
    assert_eq!(next_text(&mut socket).await, "pong");
    socket
        .send(Message::text("{\"subscribe\": \"news\"}"))
        .await
        .expect("send");
    assert_eq!(next_text(&mut socket).await, "{\"subscribed\":true}");
    assert_eq!(next(&mut socket).await, Message::Binary(vec![0, 1].into()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pushes_reach_an_open_websocket_and_close_ends_it_with_a_normal_close() {
    let server = with_stubs(&[socket_stub("/feed", json!({}))]).await;
    let mut socket = connect(&server, "/feed", &[]).await;
    until_open(&server, 1).await;
    let feed = json!({"urlPath": "/feed"});
    assert_eq!(
        push(
            &server,
            feed.clone(),
            json!([{"text": "a"}, {"sse": {"data": "b"}}]),
            false
        )
        .await,
        1
    );
    assert_eq!(next_text(&mut socket).await, "a");
    assert_eq!(next_text(&mut socket).await, "data: b\n\n");
    assert_eq!(push(&server, feed, json!([{"json": [1]}]), true).await, 1);
    assert_eq!(next_text(&mut socket).await, "[1]");
    let frame = next_close(&mut socket).await;
    assert_eq!(frame.code, CloseCode::Normal);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_close_item_sends_its_code_and_reason() {
    let server = with_stubs(&[socket_stub(
        "/bye",
        json!({"send": [{"text": "hi"}, {"close": {"code": 4000, "reason": "done"}}]}),
    )])
    .await;
    let mut socket = connect(&server, "/bye", &[]).await;
    assert_eq!(next_text(&mut socket).await, "hi");
    let frame = next_close(&mut socket).await;
    assert_eq!(u16::from(frame.code), 4000);
    assert_eq!(frame.reason.as_str(), "done");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scoped_pushes_reach_only_the_sockets_of_their_scope() {
    let server = with_stubs(&[socket_stub("/room", json!({}))]).await;
    let mut a = connect(&server, "/room", &[("x-fake-servicer-scope", "a")]).await;
    let mut b = connect(&server, "/room", &[("x-fake-servicer-scope", "b")]).await;
    until_open(&server, 2).await;
    let admin = Admin::new(&server);
    for scope in ["a", "b"] {
        let r = admin
            .post(
                "/__admin/streams/push",
                json!({"request": {"urlPath": "/room"}, "scope": scope, "items": [{"text": scope}]}),
            )
            .await;
        assert_eq!(r.json()["streams"], 1, "{}", r.text());
    }
    assert_eq!(next_text(&mut a).await, "a");
    assert_eq!(next_text(&mut b).await, "b");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plain_request_to_a_websocket_stub_is_answered_426() {
    let server = with_stubs(&[socket_stub("/ws", json!({}))]).await;
    let r = testkit::Http::new()
        .get(&format!("{}/ws", server.url()))
        .await;
    assert_eq!(r.status, StatusCode::UPGRADE_REQUIRED);
    assert_eq!(r.header("upgrade"), Some("websocket"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_its_stream_closes_a_socket_and_a_stop_closes_it_going_away() {
    let server = with_stubs(&[socket_stub("/s", json!({}))]).await;
    let mut deleted = connect(&server, "/s", &[]).await;
    until_open(&server, 1).await;
    Admin::new(&server).delete("/__admin/streams").await;
    let frame = next_close(&mut deleted).await;
    assert_eq!(frame.code, CloseCode::Normal);
    let mut stopped = connect(&server, "/s", &[]).await;
    until_open(&server, 1).await;
    let stopping = tokio::spawn(server.shutdown_within(PATIENCE));
    let frame = next_close(&mut stopped).await;
    assert_eq!(frame.code, CloseCode::Away);
    drop(stopped);
    assert!(
        stopping.await.expect("the stop"),
        "the server did not stop in time"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_journal_records_the_upgrade_and_the_messages_each_way() {
    let server = with_stubs(&[socket_stub(
        "/j",
        json!({"send": [{"text": "hello"}], "replies": [{"send": [{"text": "ok"}]}]}),
    )])
    .await;
    let mut socket = connect(&server, "/j", &[]).await;
    assert_eq!(next_text(&mut socket).await, "hello");
    socket.send(Message::text("hi")).await.expect("send");
    assert_eq!(next_text(&mut socket).await, "ok");
    let requests = Admin::new(&server).get("/__admin/requests").await.json();
    let entry = &requests["requests"][0];
    assert_eq!(entry["response"]["status"], 101, "{entry}");
    let messages: Vec<(String, String)> = entry["subEvents"]
        .as_array()
        .expect("sub-events")
        .iter()
        .map(|e| {
            assert_eq!(e["type"], "STREAM_MESSAGE", "{e}");
            (
                e["data"]["direction"].as_str().unwrap_or("").to_owned(),
                e["data"]["body"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    let want = [("out", "hello"), ("in", "hi"), ("out", "ok")];
    assert_eq!(
        messages,
        want.map(|(d, b)| (d.to_owned(), b.to_owned())).to_vec()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_socket_idle_for_the_idle_timeout_is_closed() {
    let server = serve(&[], |c| c.stream_idle_timeout = Duration::from_millis(500)).await;
    Admin::new(&server)
        .stub(socket_stub("/quiet", json!({})))
        .await;
    let mut socket = connect(&server, "/quiet", &[]).await;
    let frame = next_close(&mut socket).await;
    assert_eq!(frame.reason.as_str(), "idle");
}

/// One HTTP/2 stream as a byte pipe: what a WebSocket over HTTP/2
/// (RFC 8441) runs on.
struct H2Pipe {
    send: h2::SendStream<bytes::Bytes>,
    recv: h2::RecvStream,
    unread: bytes::Bytes,
}

impl tokio::io::AsyncRead for H2Pipe {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        use std::task::Poll;
        if self.unread.is_empty() {
            match self.recv.poll_data(cx) {
                Poll::Ready(Some(Ok(data))) => {
                    let _ = self.recv.flow_control().release_capacity(data.len());
                    self.unread = data;
                }
                Poll::Ready(Some(Err(e))) => return Poll::Ready(Err(std::io::Error::other(e))),
                Poll::Ready(None) => return Poll::Ready(Ok(())),
                Poll::Pending => return Poll::Pending,
            }
        }
        let n = self.unread.len().min(buf.remaining());
        buf.put_slice(&self.unread.split_to(n));
        Poll::Ready(Ok(()))
    }
}

impl tokio::io::AsyncWrite for H2Pipe {
    fn poll_write(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        use std::task::Poll;
        self.send.reserve_capacity(buf.len());
        match self.send.poll_capacity(cx) {
            Poll::Ready(Some(Ok(n))) => {
                let n = n.min(buf.len());
                self.send
                    .send_data(bytes::Bytes::copy_from_slice(&buf[..n]), false)
                    .map_err(std::io::Error::other)?;
                Poll::Ready(Ok(n))
            }
            Poll::Ready(Some(Err(e))) => Poll::Ready(Err(std::io::Error::other(e))),
            Poll::Ready(None) => Poll::Ready(Err(std::io::ErrorKind::BrokenPipe.into())),
            Poll::Pending => Poll::Pending,
        }
    }

    fn poll_flush(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::task::Poll::Ready(Ok(()))
    }

    fn poll_shutdown(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        let _ = self.send.send_data(bytes::Bytes::new(), true);
        std::task::Poll::Ready(Ok(()))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_websocket_over_http2_extended_connect_is_served_as_over_http1() {
    // An HTTP/2 connection with no stream open closes after this.
    let idle = Duration::from_millis(300);
    let server = serve(&[], |c| c.header_timeout = idle).await;
    Admin::new(&server)
        .stub(socket_stub(
            "/chat",
            json!({"send": [{"text": "welcome"}], "replies": [{"when": {"equalTo": "ping"}, "send": [{"text": "pong"}]}]}),
        ))
        .await;
    let tcp = tokio::net::TcpStream::connect(server.addr())
        .await
        .expect("connect");
    let (send, driver) = h2::client::handshake(tcp).await.expect("HTTP/2 handshake");
    tokio::spawn(driver);
    let mut send = send.ready().await.expect("ready");
    // The server's settings allow extended CONNECT once they have come.
    testkit::eventually(PATIENCE, "SETTINGS_ENABLE_CONNECT_PROTOCOL", || {
        let enabled = send.is_extended_connect_protocol_enabled();
        async move {
            if enabled {
                Ok(())
            } else {
                Err("not yet".to_owned())
            }
        }
    })
    .await;
    let mut req = http::Request::builder()
        .method(http::Method::CONNECT)
        .uri(format!("http://{}/chat", server.addr()))
        .header("sec-websocket-version", "13")
        .body(())
        .expect("a request");
    req.extensions_mut()
        .insert(h2::ext::Protocol::from_static("websocket"));
    let (answer, stream) = send.send_request(req, false).expect("sent");
    let answer = tokio::time::timeout(PATIENCE, answer)
        .await
        .expect("an answer in time")
        .expect("an answer");
    assert_eq!(answer.status(), StatusCode::OK);
    let pipe = H2Pipe {
        send: stream,
        recv: answer.into_body(),
        unread: bytes::Bytes::new(),
    };
    let mut socket = WebSocketStream::from_raw_socket(
        pipe,
        tokio_tungstenite::tungstenite::protocol::Role::Client,
        None,
    )
    .await;
    let next_text = |m: Option<Result<Message, _>>| match m {
        Some(Ok(Message::Text(t))) => t.to_string(),
        other => panic!("expected text, got {other:?}"),
    };
    let first = tokio::time::timeout(PATIENCE, socket.next())
        .await
        .expect("in time");
    assert_eq!(next_text(first), "welcome");
    // The socket's stream keeps the connection from being idle: a wait
    // past the idle time is the point here.
    tokio::time::sleep(idle * 3).await;
    socket.send(Message::text("ping")).await.expect("send");
    let second = tokio::time::timeout(PATIENCE, socket.next())
        .await
        .expect("in time");
    assert_eq!(next_text(second), "pong");
    assert_eq!(super::open_streams(&server).await.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plugins_websocket_route_greets_answers_each_message_and_takes_pushes() {
    let server = crate::sdk_plugin::sink_server().await;
    let mut socket = connect(&server, "/sink/ws/lobby", &[]).await;
    assert_eq!(next_text(&mut socket).await, "welcome to lobby");
    socket.send(Message::text("hi")).await.expect("send");
    assert_eq!(next_text(&mut socket).await, "lobby: hi");
    socket
        .send(Message::binary(vec![1, 2, 3]))
        .await
        .expect("send");
    assert_eq!(next_text(&mut socket).await, "3");
    until_open(&server, 1).await;
    let pushed = push(
        &server,
        json!({"urlPath": "/sink/ws/lobby"}),
        json!([{"text": "news"}]),
        false,
    )
    .await;
    assert_eq!(pushed, 1);
    assert_eq!(next_text(&mut socket).await, "news");
    socket.send(Message::text("bye")).await.expect("send");
    let frame = next_close(&mut socket).await;
    assert_eq!(u16::from(frame.code), 4001);
    assert_eq!(frame.reason.as_str(), "bye");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_websocket_handler_that_panics_closes_its_socket_with_1011_and_the_server_serves_on() {
    let server = crate::sdk_plugin::sink_server().await;
    let mut socket = connect(&server, "/sink/ws/a", &[]).await;
    assert_eq!(next_text(&mut socket).await, "welcome to a");
    socket.send(Message::text("boom")).await.expect("send");
    let frame = next_close(&mut socket).await;
    assert_eq!(frame.code, CloseCode::Error);
    assert!(frame.reason.contains("boom in a socket"), "{frame:?}");
    let mut again = connect(&server, "/sink/ws/b", &[]).await;
    assert_eq!(next_text(&mut again).await, "welcome to b");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_over_max_body_bytes_closes_the_socket_with_1009() {
    let server = serve(&[], |c| c.max_body_bytes = 1024).await;
    Admin::new(&server)
        .stub(socket_stub("/small", json!({})))
        .await;
    let mut socket = connect(&server, "/small", &[]).await;
    socket
        .send(Message::text("x".repeat(4096)))
        .await
        .expect("send");
    let frame = next_close(&mut socket).await;
    assert_eq!(frame.code, CloseCode::Size);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_socket_closed_by_a_test_during_a_pause_closes_at_once() {
    let server = with_stubs(&[socket_stub(
        "/slow",
        json!({"send": [{"text": "a"}, {"delayMs": 20000}, {"text": "b"}]}),
    )])
    .await;
    let mut socket = connect(&server, "/slow", &[]).await;
    assert_eq!(next_text(&mut socket).await, "a");
    until_open(&server, 1).await;
    Admin::new(&server).delete("/__admin/streams").await;
    // PATIENCE (10 s) is half the pause: a close that waited for it would
    // not come in time.
    let frame = next_close(&mut socket).await;
    assert_eq!(frame.code, CloseCode::Normal);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_clients_close_is_answered_with_a_close() {
    let server = with_stubs(&[socket_stub("/polite", json!({"send": [{"text": "hi"}]}))]).await;
    let mut socket = connect(&server, "/polite", &[]).await;
    assert_eq!(next_text(&mut socket).await, "hi");
    socket.close(None).await.expect("a close sent");
    match tokio::time::timeout(PATIENCE, socket.next()).await {
        Ok(Some(Ok(Message::Close(_)))) | Ok(None) => {}
        other => panic!("the close was not answered: {other:?}"),
    }
}
