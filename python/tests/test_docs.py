"""The first sample of docs/python.md, as it is written there."""

import pytest

requests = pytest.importorskip("requests")


def test_checkout_declined(fake_servicer):
    fake_servicer.expect_request("/pay", method="POST", service="bank").respond_with_json(
        {"status": "declined"}, status=402)

    answer = requests.post(fake_servicer.url_for("bank", "/pay"), headers=fake_servicer.headers)

    assert answer.status_code == 402
    fake_servicer.assert_request_made("/pay", method="POST", service="bank")
