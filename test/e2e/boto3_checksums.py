"""Flexible checksums through boto3 and s3transfer, unchanged client code.

Recent boto3 sends a CRC32 with every PutObject/UploadPart by default and
validates GetObject bodies against returned checksums; s3transfer adds the
algorithm to CreateMultipartUpload and lists part checksums at Complete.
Run by test/e2e/boto3-checksums.test.ts: python3 boto3_checksums.py ENDPOINT USER
CRC32C and CRC64NVME need the optional awscrt package in botocore: without it
those two algorithms are skipped (and reported as skipped).
"""
import base64
import hashlib
import io
import os
import sys
import zlib

import boto3
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import ClientError

MIB = 1024 * 1024
endpoint, user = sys.argv[1], sys.argv[2]
s3 = boto3.client(
    "s3",
    endpoint_url=endpoint,
    region_name="us-east-1",
    aws_access_key_id=user,
    aws_secret_access_key="unused-in-simple-mode",
    config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}),
)
BUCKET = "boto-checksums"
s3.create_bucket(Bucket=BUCKET)

try:
    import awscrt  # noqa: F401  (botocore computes CRC32C/CRC64NVME only through it)
    ALGORITHMS = ["CRC32", "CRC32C", "CRC64NVME", "SHA1", "SHA256"]
except ImportError:
    ALGORITHMS = ["CRC32", "SHA1", "SHA256"]
    print("skipped CRC32C and CRC64NVME: awscrt is not installed")


def b64(raw):
    return base64.b64encode(raw).decode()


def crc32(*chunks):
    value = 0
    for chunk in chunks:
        value = zlib.crc32(chunk, value)
    return b64(value.to_bytes(4, "big"))


LOCAL = {
    "CRC32": crc32,
    "SHA1": lambda data: b64(hashlib.sha1(data).digest()),
    "SHA256": lambda data: b64(hashlib.sha256(data).digest()),
}

data = os.urandom(100_000)

# Default: boto3 adds a CRC32 on its own; the object keeps it.
put = s3.put_object(Bucket=BUCKET, Key="default", Body=data)
assert put["ETag"] == '"%s"' % hashlib.md5(data).hexdigest(), put
assert put.get("ChecksumCRC32") == crc32(data), put
head = s3.head_object(Bucket=BUCKET, Key="default", ChecksumMode="ENABLED")
assert head["ChecksumCRC32"] == crc32(data) and head["ChecksumType"] == "FULL_OBJECT", head

for algorithm in ALGORITHMS:
    key = "alg-" + algorithm
    put = s3.put_object(Bucket=BUCKET, Key=key, Body=data, ChecksumAlgorithm=algorithm)
    value = put["Checksum" + algorithm]
    if algorithm in LOCAL:
        assert value == LOCAL[algorithm](data), (algorithm, value)
    got = s3.get_object(Bucket=BUCKET, Key=key, ChecksumMode="ENABLED")
    assert got["Body"].read() == data  # botocore checks the body against the header
    assert got["Checksum" + algorithm] == value, got

# A wrong checksum: BadDigest, and no object.
try:
    s3.put_object(Bucket=BUCKET, Key="wrong", Body=data, ChecksumSHA256=b64(hashlib.sha256(b"other").digest()))
    raise AssertionError("a wrong checksum was accepted")
except ClientError as err:
    assert err.response["Error"]["Code"] == "BadDigest", err.response
try:
    s3.head_object(Bucket=BUCKET, Key="wrong")
    raise AssertionError("the refused object exists")
except ClientError as err:
    assert err.response["Error"]["Code"] in ("404", "NoSuchKey"), err.response

big = os.urandom(12 * MIB)
config = TransferConfig(multipart_threshold=5 * MIB, multipart_chunksize=5 * MIB)


def download(key):
    out = io.BytesIO()
    s3.download_fileobj(BUCKET, key, out)
    return out.getvalue()


# upload_fileobj as is: s3transfer picks the checksum (CRC32 by default).
s3.upload_fileobj(io.BytesIO(big), BUCKET, "mp-default", Config=config)
head = s3.head_object(Bucket=BUCKET, Key="mp-default", ChecksumMode="ENABLED")
assert head["ETag"].endswith('-3"'), head
assert download("mp-default") == big

# upload_fileobj with an algorithm: a COMPOSITE checksum of the 3 parts.
s3.upload_fileobj(io.BytesIO(big), BUCKET, "mp-sha256", ExtraArgs={"ChecksumAlgorithm": "SHA256"}, Config=config)
head = s3.head_object(Bucket=BUCKET, Key="mp-sha256", ChecksumMode="ENABLED")
part_sums = b"".join(hashlib.sha256(big[i:i + 5 * MIB]).digest() for i in range(0, len(big), 5 * MIB))
assert head["ChecksumSHA256"] == b64(hashlib.sha256(part_sums).digest()) + "-3", head
assert head["ChecksumType"] == "COMPOSITE", head
assert download("mp-sha256") == big

# upload_fileobj with the whole object's CRC32: a FULL_OBJECT upload, verified at Complete.
s3.upload_fileobj(io.BytesIO(big), BUCKET, "mp-full", ExtraArgs={"ChecksumCRC32": crc32(big)}, Config=config)
head = s3.head_object(Bucket=BUCKET, Key="mp-full", ChecksumMode="ENABLED")
assert head["ChecksumCRC32"] == crc32(big) and head["ChecksumType"] == "FULL_OBJECT", head
try:
    s3.upload_fileobj(io.BytesIO(big), BUCKET, "mp-full-wrong", ExtraArgs={"ChecksumCRC32": crc32(b"other")}, Config=config)
    raise AssertionError("a wrong full-object checksum was accepted")
except ClientError as err:
    assert err.response["Error"]["Code"] == "BadDigest", err.response

# The low-level calls, as an application would make them.
for algorithm in ALGORITHMS:
    key = "manual-" + algorithm
    upload_id = s3.create_multipart_upload(Bucket=BUCKET, Key=key, ChecksumAlgorithm=algorithm)["UploadId"]
    parts = []
    for number, chunk in enumerate([data, data[:1000]], start=1):
        out = s3.upload_part(Bucket=BUCKET, Key=key, UploadId=upload_id, PartNumber=number, Body=chunk, ChecksumAlgorithm=algorithm)
        parts.append({"PartNumber": number, "ETag": out["ETag"], "Checksum" + algorithm: out["Checksum" + algorithm]})
    listed = s3.list_parts(Bucket=BUCKET, Key=key, UploadId=upload_id)
    assert listed["ChecksumAlgorithm"] == algorithm, listed
    assert [p["Checksum" + algorithm] for p in listed["Parts"]] == [p["Checksum" + algorithm] for p in parts], listed
    done = s3.complete_multipart_upload(Bucket=BUCKET, Key=key, UploadId=upload_id, MultipartUpload={"Parts": parts})
    if algorithm == "CRC64NVME":
        assert done["ChecksumType"] == "FULL_OBJECT", done
    else:
        assert done["ChecksumType"] == "COMPOSITE" and done["Checksum" + algorithm].endswith("-2"), done
    got = s3.get_object(Bucket=BUCKET, Key=key, ChecksumMode="ENABLED")
    assert got["Body"].read() == data + data[:1000]
    assert got["Checksum" + algorithm] == done["Checksum" + algorithm], got

print("boto3 checksums ok")
