"""COS through boto3 against a real S3 endpoint on loopback (moto's server, started by the platform like the other
fakes): objects in and out, presigned downloads and presigned POST uploads (what wx.uploadFile sends)."""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.request

import pytest
import requests

from shared.adapters.cos import Cos, CosNotFound, cos, region_of


@pytest.fixture
def store(platform):
    return cos()


def test_put_get_head_delete(store):
    stored = store.put("tests/hello.txt", "你好, COS".encode(), "text/plain; charset=utf-8")
    assert stored.size == len("你好, COS".encode())
    assert store.get("tests/hello.txt") == "你好, COS".encode()
    head = store.head("tests/hello.txt")
    assert head is not None and head.size == stored.size and head.content_type.startswith("text/plain")
    store.delete("tests/hello.txt")
    assert store.head("tests/hello.txt") is None
    with pytest.raises(CosNotFound):
        store.get("tests/hello.txt")


def test_the_client_is_configured_for_cos(store):
    config = store.client().meta.config
    assert config.request_checksum_calculation == "when_required"
    assert config.response_checksum_validation == "when_required"
    assert config.s3["addressing_style"] == "virtual"
    # No CRC headers go out on a plain put (COS would reject them).
    seen: list[dict] = []
    store.client().meta.events.register("before-send.s3.PutObject", lambda request, **_: seen.append(
        dict(request.headers)))
    store.put("tests/plain.bin", b"\x00" * 10, "application/octet-stream")
    assert seen and not any(k.lower().startswith("x-amz-checksum") for k in seen[0])
    assert not any("x-amz-sdk-checksum" in k.lower() for k in seen[0])


def test_presigned_get_downloads_with_a_short_lived_url(store):
    store.put("reports/1/2026-11.pdf", b"%PDF-1.7 test", "application/pdf")
    url = store.presigned_get("reports/1/2026-11.pdf", seconds=60, filename="report.pdf")
    assert "X-Amz-Signature=" in url and "X-Amz-Expires=60" in url
    with urllib.request.urlopen(url, timeout=5) as answer:
        assert answer.read() == b"%PDF-1.7 test"
        assert "report.pdf" in answer.headers.get("Content-Disposition", "")
    # moto does not check signatures (COS does); what we can check is what the URL carries: the role's session token
    # (a temporary key without it is refused by COS) and the short lifetime.
    assert "X-Amz-Security-Token=dev-session-token" in url
    with pytest.raises(urllib.error.HTTPError) as missing:
        urllib.request.urlopen(store.presigned_get("reports/1/none.pdf"), timeout=5)
    assert missing.value.code == 404


def test_presigned_post_uploads_within_the_policy(store):
    policy = store.presigned_post("uploads/7/", content_type="image/png", allowed_types=("image/png", "image/jpeg"),
                                  max_bytes=1024)
    assert policy["fields"]["key"] == "uploads/7/${filename}"
    png = b"\x89PNG\r\n\x1a\n" + b"x" * 100
    ok = requests.post(policy["url"], data=policy["fields"], files={"file": ("avatar.png", png, "image/png")},
                       timeout=5)
    assert ok.status_code in (200, 201, 204), ok.text
    assert store.get("uploads/7/avatar.png") == png

    # moto stores what it is sent without checking the policy (COS checks it): check the signed policy itself.
    document = json.loads(base64.b64decode(policy["fields"]["policy"]))
    conditions = document["conditions"]
    assert ["starts-with", "$key", "uploads/7/"] in conditions
    assert {"Content-Type": "image/png"} in conditions
    assert ["content-length-range", 1, 1024] in conditions
    assert policy["fields"]["x-amz-security-token"] == "dev-session-token"


def test_presigned_post_refuses_types_and_prefixes_outside_the_rules(store):
    with pytest.raises(ValueError):
        store.presigned_post("uploads/7/", content_type="text/html", allowed_types=("image/png",), max_bytes=10)
    with pytest.raises(ValueError):
        store.presigned_post("/abs/", content_type="image/png", allowed_types=("image/png",), max_bytes=10)


def test_region_comes_from_the_endpoint():
    assert region_of("https://cos.ap-shanghai.myqcloud.com") == "ap-shanghai"
    assert region_of("http://127.0.0.1:9110") == "ap-guangzhou"


def test_a_bucket_is_required():
    from shared.adapters.tencent import StaticCredential

    with pytest.raises(Exception, match="COS_BUCKET"):
        Cos("https://cos.ap-guangzhou.myqcloud.com", "", StaticCredential(("a", "b", None)))


def test_a_second_fake_cos_in_the_same_process_starts_on_the_existing_bucket():
    """moto's S3 state is the process's: `make bench` starts one platform after another in one process, and the
    second fake's bucket is already there — it must start anyway (it failed with BucketAlreadyOwnedByYou)."""
    from infra.fakes.cos import FakeCos

    first = FakeCos(bucket="codelink-twice-1250000000").start()
    first.client().put_object(Bucket=first.bucket, Key="k", Body=b"v")
    first.stop()
    second = FakeCos(bucket="codelink-twice-1250000000").start()
    try:
        assert second.client().get_object(Bucket=second.bucket, Key="k")["Body"].read() == b"v"
    finally:
        second.stop()
