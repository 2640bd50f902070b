"""The spec's Python walkthrough, with boto3 (boto 2 is gone from PyPI's
supported world): bucket, small and 8 MiB objects, a multipart upload in
1 MiB parts, listing, deletes. Run by boto3.test.ts against a live server."""
import hashlib
import sys

import boto3
from botocore.config import Config

endpoint, user = sys.argv[1], sys.argv[2]
s3 = boto3.client(
    "s3",
    endpoint_url=endpoint,
    aws_access_key_id=user,
    aws_secret_access_key="unused",
    region_name="us-east-1",
    config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}),
)

bucket = "bucket-for-testing"
s3.create_bucket(Bucket=bucket)
assert [b["Name"] for b in s3.list_buckets()["Buckets"]] == [bucket]

s3.put_object(Bucket=bucket, Key="small.txt", Body=b"Hello World!")
assert s3.get_object(Bucket=bucket, Key="small.txt")["Body"].read() == b"Hello World!"

large = bytes(8 * 1024 * 1024)
s3.put_object(Bucket=bucket, Key="large.txt", Body=large)
assert s3.get_object(Bucket=bucket, Key="large.txt")["Body"].read() == large

keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]]
assert keys == ["large.txt", "small.txt"], keys

s3.delete_object(Bucket=bucket, Key="small.txt")
s3.delete_object(Bucket=bucket, Key="large.txt")

upload = s3.create_multipart_upload(Bucket=bucket, Key="large.txt")
parts = []
chunk = 1024 * 1024
for i in range(8):
    body = large[i * chunk:(i + 1) * chunk]
    etag = s3.upload_part(Bucket=bucket, Key="large.txt", UploadId=upload["UploadId"], PartNumber=i + 1, Body=body)["ETag"]
    parts.append({"PartNumber": i + 1, "ETag": etag})
listed = s3.list_parts(Bucket=bucket, Key="large.txt", UploadId=upload["UploadId"])["Parts"]
assert [p["ETag"] for p in listed] == [p["ETag"] for p in parts]
done = s3.complete_multipart_upload(Bucket=bucket, Key="large.txt", UploadId=upload["UploadId"], MultipartUpload={"Parts": parts})
expected = hashlib.md5(b"".join(bytes.fromhex(p["ETag"].strip('"')) for p in parts)).hexdigest() + "-8"
assert done["ETag"] == f'"{expected}"', done["ETag"]
assert s3.get_object(Bucket=bucket, Key="large.txt")["Body"].read() == large

aborted = s3.create_multipart_upload(Bucket=bucket, Key="never")
s3.abort_multipart_upload(Bucket=bucket, Key="never", UploadId=aborted["UploadId"])

s3.delete_object(Bucket=bucket, Key="large.txt")
s3.delete_bucket(Bucket=bucket)
print("boto3 flow ok")
