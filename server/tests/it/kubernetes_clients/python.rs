//! The Python `kubernetes` client (PyPI) against the fake
//! (`tests/kubernetes/test_kubernetes.py`, one behaviour per pytest test),
//! in the virtualenv of `python_client`.

use super::{api_url, kubernetes};
use crate::python_client::{pytest, venv_python};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_python_kubernetes_client_creates_lists_patches_watches_and_deletes() {
    let Some(python) = venv_python() else {
        testkit::skip(
            "the_python_kubernetes_client_creates_lists_patches_watches_and_deletes",
            "no python3 on this machine to make the client virtualenv",
        );
        return;
    };
    let (server, _dir) = kubernetes(None).await;
    let (passed, stdout) = pytest(
        python,
        "kubernetes/test_kubernetes.py",
        &[],
        api_url(&server),
    )
    .await;
    assert!(passed, "Kubernetes client tests failed:\n{stdout}");
    assert!(
        stdout.contains("6 passed") && !stdout.contains("skipped"),
        "{stdout}"
    );
}
