// Decodes request bodies sent with `Content-Encoding: aws-chunked`, i.e. the
// x-amz-content-sha256 modes STREAMING-UNSIGNED-PAYLOAD-TRAILER,
// STREAMING-AWS4-HMAC-SHA256-PAYLOAD and STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER
// (https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming.html and
// sigv4-streaming-trailers.html). Wire format, one grammar for all three:
//
//   chunk   = hex-size [";chunk-signature=" sig] CRLF data CRLF      (size > 0)
//   final   = "0" [";chunk-signature=" sig] CRLF
//   trailer = *(name ":" value CRLF) ["x-amz-trailer-signature:" sig CRLF] CRLF
//
// The non-trailer mode is the same with an empty trailer section. The decoder
// emits the object bytes, computes the checksum declared in x-amz-trailer while
// they stream, and checks it against the trailer at the end.
//
// Error codes follow what S3 answers (as mirrored by versitygw's S3
// compatibility tests): broken framing or a wrong byte count -> IncompleteBody;
// trailer section not matching x-amz-trailer -> MalformedTrailerError; a
// checksum value that is not base64 of the right size -> InvalidRequest; a
// checksum that does not match -> BadDigest.
//
// Data is pushed downstream as soon as it arrives, before its chunk signature
// or the trailer checksum can be checked (holding a chunk back would mean
// buffering up to a whole chunk). Consumers must treat the body as provisional
// until this stream finishes without error.
import { Transform, type TransformCallback } from 'node:stream';
import { S3Error } from '../errors.ts';
import {
  checksumAlgorithmForHeader, createChecksum, isWellFormedChecksum,
  type Checksum, type ChecksumAlgorithm,
} from '../../util/checksums.ts';

export interface AwsChunkedDecoderOptions {
  /** x-amz-decoded-content-length: the object size the chunks must add up to. */
  decodedLength?: number;
  /** The x-amz-trailer header value, e.g. 'x-amz-checksum-crc32'. */
  trailer?: string;
  /**
   * Called once per chunk (the final zero-length one included, with []) with
   * its chunk-signature and its data as received. When given, every chunk must
   * carry a signature. May throw (e.g. SignatureDoesNotMatch) to fail the body.
   */
  onChunkSignature?: (signature: string, chunk: Buffer[]) => void;
  /**
   * Called with x-amz-trailer-signature and the trailers it covers, before the
   * checksum is compared. When given, the trailer signature is required. May throw.
   */
  onTrailerSignature?: (signature: string, trailers: Readonly<Record<string, string>>) => void;
}

/** What a finished body was verified against. */
export interface VerifiedChecksum {
  readonly algorithm: ChecksumAlgorithm;
  /** Base64, as sent in the trailer and as the x-amz-checksum-* response header. */
  readonly value: string;
}

const CR = 0x0d;
const LF = 0x0a;
/** Chunk-size and trailer lines are ~100 bytes; anything near this is hostile or broken. */
const MAX_LINE_BYTES = 4096;
/** All trailer lines together: a few checksums and a signature fit many times over. */
const MAX_TRAILER_BYTES = 16 * 1024;
/** 16 hex digits already exceed Number.MAX_SAFE_INTEGER's range of interest. */
const SIZE_RE = /^[0-9a-fA-F]{1,16}$/;
/** SigV4 signatures are 64 hex digits; SigV4a ones are longer DER hex padded with '*'. */
const SIGNATURE_EXT_RE = /^chunk-signature=([0-9a-fA-F*]{1,512})$/;

type State = 'size' | 'data' | 'data-cr' | 'data-lf' | 'trailer' | 'done';

function framingError(message: string): S3Error {
  return new S3Error('IncompleteBody', `Malformed aws-chunked body: ${message}.`);
}

function trailerError(message: string): S3Error {
  return new S3Error('MalformedTrailerError', `Malformed aws-chunked trailer: ${message}.`);
}

/** Printable rendering of a bad line for error messages, bounded in length. */
function quote(text: string): string {
  return JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}...` : text);
}

/**
 * A Transform from an aws-chunked body to the object bytes.
 * The constructor throws S3Error('InvalidRequest') for an x-amz-trailer value S3
 * does not support, so callers can answer before reading the body.
 */
export class AwsChunkedDecoder extends Transform {
  private readonly decodedLength: number | undefined;
  private readonly trailerName: string | undefined;
  private readonly checksumCalc: Checksum | undefined;
  private readonly onChunkSignature: AwsChunkedDecoderOptions['onChunkSignature'];
  private readonly onTrailerSignature: AwsChunkedDecoderOptions['onTrailerSignature'];

  private state: State = 'size';
  /** The part of a size or trailer line seen so far, when it straddles inputs. */
  private readonly lineBuf = Buffer.allocUnsafe(MAX_LINE_BYTES);
  private lineLen = 0;
  private remaining = 0;
  private decoded = 0;
  private signature: string | undefined;
  /** The current chunk's data, kept only for onChunkSignature. */
  private pieces: Buffer[] | undefined;
  private trailerBytes = 0;
  private readonly received = new Map<string, string>();
  private trailerSig: string | undefined;
  private verified: VerifiedChecksum | undefined;

  constructor(options: AwsChunkedDecoderOptions = {}) {
    super();
    const { decodedLength, trailer } = options;
    if (decodedLength !== undefined && !(Number.isSafeInteger(decodedLength) && decodedLength >= 0)) {
      throw new RangeError(`decodedLength must be a non-negative integer, got ${decodedLength}`);
    }
    this.decodedLength = decodedLength;
    this.onChunkSignature = options.onChunkSignature;
    this.onTrailerSignature = options.onTrailerSignature;
    // S3 only accepts checksum trailers, and only one of them.
    const names = (trailer ?? '').split(',').map((n) => n.trim().toLowerCase()).filter((n) => n !== '');
    if (names.length > 1) {
      throw new S3Error('InvalidRequest', 'Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.');
    }
    if (names.length === 1) {
      const algorithm = checksumAlgorithmForHeader(names[0]);
      if (algorithm === undefined) {
        throw new S3Error('InvalidRequest', 'The value specified in the x-amz-trailer header is not supported');
      }
      this.trailerName = names[0];
      this.checksumCalc = createChecksum(algorithm);
    }
  }

  /** Trailer fields received (lower-cased names), without x-amz-trailer-signature. */
  get trailers(): Record<string, string> {
    // fromEntries defines own properties, so a name like __proto__ cannot reach the prototype.
    return Object.fromEntries(this.received);
  }

  /** The x-amz-trailer-signature value, if one was sent. */
  get trailerSignature(): string | undefined {
    return this.trailerSig;
  }

  /** The checksum from the trailer, set once it has been verified against the data. */
  get checksum(): VerifiedChecksum | undefined {
    return this.verified;
  }

  /** Object bytes emitted so far. */
  get decodedBytes(): number {
    return this.decoded;
  }

  override _transform(input: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    try {
      this.consume(input);
      callback();
    } catch (err) {
      callback(err instanceof Error ? err : new Error(String(err)));
    }
  }

  override _flush(callback: TransformCallback): void {
    if (this.state === 'done') {
      callback();
      return;
    }
    // The SDK's encoder (@smithy getAwsChunkedEncodingStream) ends the body right
    // after "0\r\n" when it has no checksum to send; without a declared trailer
    // nothing is lost, so that is accepted as the end.
    const bareEnd = this.state === 'trailer' && this.lineLen === 0 && this.trailerBytes === 0
      && this.trailerName === undefined && this.onTrailerSignature === undefined;
    if (!bareEnd) {
      callback(framingError(this.state === 'trailer'
        ? 'the body ended inside the trailer section'
        : 'the body ended before the final zero-length chunk'));
      return;
    }
    try {
      this.finish();
      callback();
    } catch (err) {
      callback(err instanceof Error ? err : new Error(String(err)));
    }
  }

  private consume(input: Buffer): void {
    let pos = 0;
    const len = input.length;
    while (pos < len) {
      switch (this.state) {
        case 'size':
        case 'trailer': {
          const lf = input.indexOf(LF, pos);
          const end = lf === -1 ? len : lf;
          if (this.lineLen + (end - pos) > MAX_LINE_BYTES) {
            throw this.state === 'size'
              ? framingError(`a chunk header line is longer than ${MAX_LINE_BYTES} bytes`)
              : trailerError(`a trailer line is longer than ${MAX_LINE_BYTES} bytes`);
          }
          if (lf === -1) {
            this.lineLen += input.copy(this.lineBuf, this.lineLen, pos, len);
            pos = len;
            break;
          }
          let line: Buffer;
          if (this.lineLen === 0) {
            line = input.subarray(pos, lf);
          } else {
            this.lineLen += input.copy(this.lineBuf, this.lineLen, pos, lf);
            line = this.lineBuf.subarray(0, this.lineLen);
            this.lineLen = 0;
          }
          pos = lf + 1;
          if (line.length === 0 || line[line.length - 1] !== CR) {
            throw framingError('a line is terminated by LF instead of CRLF');
          }
          const text = line.toString('latin1', 0, line.length - 1);
          if (this.state === 'size') this.sizeLine(text);
          else this.trailerLine(text);
          break;
        }
        case 'data': {
          const n = Math.min(this.remaining, len - pos);
          // Slices share memory with the input: no copy on the hot path.
          const piece = pos === 0 && n === len ? input : input.subarray(pos, pos + n);
          this.checksumCalc?.update(piece);
          this.pieces?.push(piece);
          this.decoded += n;
          this.remaining -= n;
          pos += n;
          this.push(piece);
          if (this.remaining === 0) this.state = 'data-cr';
          break;
        }
        case 'data-cr':
          if (input[pos] !== CR) throw framingError('chunk data is not followed by CRLF (is the chunk size right?)');
          pos++;
          this.state = 'data-lf';
          break;
        case 'data-lf':
          if (input[pos] !== LF) throw framingError('chunk data is not followed by CRLF (is the chunk size right?)');
          pos++;
          this.endChunk();
          this.state = 'size';
          break;
        case 'done':
          throw framingError('data follows the end of the trailer section');
      }
    }
  }

  private sizeLine(text: string): void {
    const semi = text.indexOf(';');
    const sizeText = semi === -1 ? text : text.slice(0, semi);
    if (!SIZE_RE.test(sizeText)) throw framingError(`invalid chunk size line ${quote(text)}`);
    const size = Number.parseInt(sizeText, 16);
    if (!Number.isSafeInteger(size)) throw framingError(`chunk size ${quote(sizeText)} is too large`);
    this.signature = undefined;
    if (semi !== -1) {
      const match = SIGNATURE_EXT_RE.exec(text.slice(semi + 1));
      if (match === null) throw framingError(`invalid chunk extension in ${quote(text)}`);
      this.signature = match[1];
    }
    if (this.onChunkSignature !== undefined && this.signature === undefined) {
      throw framingError('a chunk has no chunk-signature');
    }
    // Fail as soon as the declared size is overrun rather than after storing it.
    if (this.decodedLength !== undefined && this.decoded + size > this.decodedLength) {
      throw new S3Error('IncompleteBody',
        `The chunks carry more than the ${this.decodedLength} bytes declared in x-amz-decoded-content-length.`);
    }
    if (size === 0) {
      if (this.decodedLength !== undefined && this.decoded !== this.decodedLength) {
        throw new S3Error('IncompleteBody',
          `The chunks carry ${this.decoded} bytes, not the ${this.decodedLength} declared in x-amz-decoded-content-length.`);
      }
      this.pieces = [];
      this.endChunk();
      this.state = 'trailer';
      return;
    }
    this.remaining = size;
    this.pieces = this.onChunkSignature !== undefined ? [] : undefined;
    this.state = 'data';
  }

  private endChunk(): void {
    if (this.onChunkSignature !== undefined && this.signature !== undefined) {
      const pieces = this.pieces ?? [];
      this.pieces = undefined;
      this.onChunkSignature(this.signature, pieces);
    }
  }

  private trailerLine(text: string): void {
    if (text === '') {
      this.finish();
      this.state = 'done';
      return;
    }
    this.trailerBytes += text.length + 2;
    if (this.trailerBytes > MAX_TRAILER_BYTES) throw trailerError(`the trailer section exceeds ${MAX_TRAILER_BYTES} bytes`);
    // The signature covers the trailers before it, so it must come last.
    if (this.trailerSig !== undefined) throw trailerError('a trailer follows x-amz-trailer-signature');
    const colon = text.indexOf(':');
    const name = colon === -1 ? '' : text.slice(0, colon).trim().toLowerCase();
    if (name === '') throw trailerError(`${quote(text)} is not a "name:value" line`);
    const value = text.slice(colon + 1).trim();
    if (name === 'x-amz-trailer-signature') {
      this.trailerSig = value;
      return;
    }
    if (name !== this.trailerName) throw trailerError(`trailer ${quote(name)} was not declared in x-amz-trailer`);
    if (this.received.has(name)) throw trailerError(`trailer ${quote(name)} is repeated`);
    this.received.set(name, value);
  }

  /** Checks at the end of the body: trailer present, signed, and matching the data. */
  private finish(): void {
    if (this.trailerName !== undefined && !this.received.has(this.trailerName)) {
      throw trailerError(`the trailer ${quote(this.trailerName)} declared in x-amz-trailer is missing`);
    }
    if (this.onTrailerSignature !== undefined) {
      if (this.trailerSig === undefined) throw trailerError('x-amz-trailer-signature is missing');
      this.onTrailerSignature(this.trailerSig, this.trailers);
    }
    if (this.trailerName === undefined || this.checksumCalc === undefined) return;
    const algorithm = this.checksumCalc.algorithm;
    const sent = this.received.get(this.trailerName) ?? '';
    if (!isWellFormedChecksum(algorithm, sent)) {
      throw new S3Error('InvalidRequest', `Value for ${this.trailerName} trailing header is invalid.`);
    }
    const calculated = this.checksumCalc.digest();
    if (calculated !== sent) {
      throw new S3Error('BadDigest', `The ${algorithm} you specified did not match the calculated checksum.`);
    }
    this.verified = { algorithm, value: calculated };
  }
}
