"""Test support for src/auth (run by cli-signers.test.ts): real botocore/boto3
signers producing requests for the verifiers to check.

  python3 botocore_signers.py v2-send ENDPOINT       SigV2 (HmacV1Auth) requests sent to ENDPOINT
  python3 botocore_signers.py v2-presign ENDPOINT    a SigV2 query-auth URL (HmacV1QueryAuth), printed
  python3 botocore_signers.py v2-virtual             a SigV2 header for a virtual-hosted request, printed
  python3 botocore_signers.py post BUCKET v4|v2      a presigned POST policy (generate_presigned_post), printed

Credentials come from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY. Output is JSON.
"""

import json
import os
import sys

import boto3
from botocore.auth import HmacV1Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials


def client(endpoint, version, style="path"):
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        config=Config(signature_version=version, s3={"addressing_style": style}, retries={"max_attempts": 1}),
    )


def v2_send(endpoint):
    s3 = client(endpoint, "s3")
    calls = [
        lambda: s3.put_object(Bucket="bkt", Key="dir/a b+c~d%e.txt", Body=b"hello", Metadata={"color": "blue"}, ContentType="text/plain"),
        lambda: s3.list_objects(Bucket="bkt", Prefix="a b/", Delimiter="/"),
        lambda: s3.get_object(Bucket="bkt", Key="ünï", ResponseContentType="text/plain; charset=utf-8", VersionId="v1"),
        lambda: s3.get_bucket_acl(Bucket="bkt"),
        lambda: s3.list_buckets(),
    ]
    for call in calls:
        try:
            call()
        except Exception:  # the capture server's canned answers do not always parse
            pass


def v2_presign(endpoint):
    s3 = client(endpoint, "s3")
    url = s3.generate_presigned_url("get_object", Params={"Bucket": "bkt", "Key": "a b+c.txt"}, ExpiresIn=600)
    print(json.dumps({"url": url}))


def v2_virtual():
    creds = Credentials(os.environ["AWS_ACCESS_KEY_ID"], os.environ["AWS_SECRET_ACCESS_KEY"])
    req = AWSRequest(method="GET", url="http://bkt.s3.example.com/dir/a%20b?acl", headers={"x-amz-meta-k": "v"})
    req.auth_path = "/bkt/dir/a%20b"
    HmacV1Auth(creds).add_auth(req)
    print(json.dumps({"headers": dict(req.headers.items())}))


def post(bucket, version):
    s3 = client("http://127.0.0.1:9", "s3v4" if version == "v4" else "s3")
    result = s3.generate_presigned_post(
        Bucket=bucket,
        Key="uploads/${filename}",
        Fields={"acl": "public-read", "Content-Type": "text/plain", "x-amz-meta-who": "me", "success_action_status": "201"},
        Conditions=[
            {"acl": "public-read"},
            ["starts-with", "$Content-Type", "text/"],
            ["eq", "$x-amz-meta-who", "me"],
            {"success_action_status": "201"},
            ["starts-with", "$key", "uploads/"],
            ["content-length-range", 1, 64],
        ],
        ExpiresIn=600,
    )
    print(json.dumps(result))


if __name__ == "__main__":
    mode = sys.argv[1]
    if mode == "v2-send":
        v2_send(sys.argv[2])
    elif mode == "v2-presign":
        v2_presign(sys.argv[2])
    elif mode == "v2-virtual":
        v2_virtual()
    elif mode == "post":
        post(sys.argv[2], sys.argv[3])
    else:
        raise SystemExit(f"unknown mode {mode}")
