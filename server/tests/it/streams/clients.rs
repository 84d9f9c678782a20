//! Real clients read streams: `curl -N`, Python `requests` with
//! `stream=True`, the `sseclient-py` parser and `websockets`
//! (`tests/streams/test_streams.py`, one behaviour per pytest test), in the
//! virtualenv of `python_client`; without python3 the test is skipped
//! visibly, or fails where tools are required (`testkit::skip`).

use crate::python_client::{pytest, venv_python};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn curl_requests_sseclient_and_websockets_use_streams_as_they_come() {
    let Some(python) = venv_python() else {
        testkit::skip(
            "curl_requests_sseclient_and_websockets_use_streams_as_they_come",
            "no python3 on this machine to make the client virtualenv",
        );
        return;
    };
    let server = testkit::serve(&[], |_| {}).await;
    let (passed, stdout) = pytest(python, "streams/test_streams.py", &[], server.url()).await;
    assert!(passed, "stream client tests failed:\n{stdout}");
    assert!(
        stdout.contains("5 passed") && !stdout.contains("skipped"),
        "{stdout}"
    );
}
