"""Test client for test/e2e/auth-tools.test.ts: boto3 with SigV2 (signature_version "s3",
botocore's HmacV1Auth, as boto 2 and s3cmd sign) against a Strata in sigv4 mode.

  python3 auth_sigv2_client.py ENDPOINT BUCKET

Keys come from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY. Prints one JSON object:
what a header-signed round trip and a SigV2 query-signed (presigned) URL returned,
and the error codes of a wrong secret and of a tampered presigned URL.
"""

import json
import os
import sys
import urllib.error
import urllib.request

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError


def client(endpoint, secret=None):
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id=os.environ["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=secret or os.environ["AWS_SECRET_ACCESS_KEY"],
        config=Config(signature_version="s3", s3={"addressing_style": "path"}, retries={"max_attempts": 1}),
    )


def fetch(url):
    try:
        with urllib.request.urlopen(url) as res:
            return {"status": res.status, "body": res.read().decode()}
    except urllib.error.HTTPError as err:
        return {"status": err.code, "body": err.read().decode()}


def main(endpoint, bucket):
    s3 = client(endpoint)
    out = {}
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="v2/a b+c.txt", Body=b"signed with v2", Metadata={"via": "hmacv1"}, ContentType="text/plain")
    got = s3.get_object(Bucket=bucket, Key="v2/a b+c.txt")
    out["get"] = {"body": got["Body"].read().decode(), "meta": got["Metadata"], "type": got["ContentType"]}
    out["list"] = [o["Key"] for o in s3.list_objects(Bucket=bucket, Prefix="v2/").get("Contents", [])]
    out["acl_owner"] = s3.get_bucket_acl(Bucket=bucket)["Owner"]["ID"]
    url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "v2/a b+c.txt"}, ExpiresIn=300)
    out["presigned_has_v2"] = "AWSAccessKeyId=" in url and "Signature=" in url
    out["presigned"] = fetch(url)
    out["tampered"] = fetch(url.replace("Expires=", "Expires=1"))["status"]
    try:
        client(endpoint, secret="wrong-secret-for-v2").get_object(Bucket=bucket, Key="v2/a b+c.txt")
        out["wrong_secret"] = "no error"
    except ClientError as err:
        out["wrong_secret"] = err.response["Error"]["Code"]
    print(json.dumps(out))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
