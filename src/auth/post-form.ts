// Streams a browser POST Object form (multipart/form-data,
// https://docs.aws.amazon.com/AmazonS3/latest/API/RESTObjectPOST.html) with
// busboy: the text fields before the `file` field are collected (S3 ignores
// everything after the file), and the file's data is handed on as a stream
// without buffering. The file stream only ends once the whole form has been
// read, so a body cut short fails the upload (MalformedPOSTRequest) instead
// of storing a truncated file.
import type { IncomingHttpHeaders } from 'node:http';
import { PassThrough, type Readable } from 'node:stream';
import busboy from 'busboy';
import { S3Error } from '../s3/errors.ts';

/** S3 refuses POST forms whose fields before the file exceed this (MaxPostPreDataLengthExceededError). */
export const DEFAULT_MAX_FIELD_BYTES = 20 * 1024;

export interface PostForm {
  /** The fields before the file, in order, names as sent. */
  fields: Array<[string, string]>;
  /** The name of the part that carried the file (S3 calls it `file`). */
  fileField: string;
  filename: string;
  fileMimeType: string;
  file: Readable;
}

function malformed(detail: string): S3Error {
  return new S3Error('MalformedPOSTRequest', `The body of your POST request is not well-formed multipart/form-data. (${detail})`);
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Reads a POST form up to its file; rejects with an S3Error for a form S3 would refuse. */
export function readPostForm(headers: IncomingHttpHeaders, body: Readable, maxFieldBytes = DEFAULT_MAX_FIELD_BYTES): Promise<PostForm> {
  return new Promise<PostForm>((resolve, reject) => {
    let parser: busboy.Busboy;
    try {
      parser = busboy({
        headers,
        defCharset: 'utf8',
        defParamCharset: 'utf8',
        limits: { fieldSize: maxFieldBytes + 1, fieldNameSize: 1024, fields: 1000, files: 10, parts: 1100, headerPairs: 100 },
      });
    } catch (err) {
      reject(malformed(errorText(err)));
      return;
    }
    const fields: Array<[string, string]> = [];
    let fieldBytes = 0;
    let out: PassThrough | undefined;
    let fileEnded = false;
    let formEnded = false;
    let failed: S3Error | undefined;

    const fail = (err: S3Error): void => {
      if (failed !== undefined) return;
      failed = err;
      body.unpipe(parser);
      body.resume();
      if (out === undefined) reject(err);
      else out.destroy(err);
    };
    const maybeEnd = (): void => {
      if (out !== undefined && fileEnded && formEnded && failed === undefined) out.end();
    };

    parser.on('field', (name, value, info) => {
      if (out !== undefined || failed !== undefined) return;
      fieldBytes += Buffer.byteLength(name) + Buffer.byteLength(value);
      if (info.valueTruncated || info.nameTruncated || fieldBytes > maxFieldBytes) {
        fail(new S3Error('MaxPostPreDataLengthExceededError', undefined, { MaxPostPreDataLength: String(maxFieldBytes) }));
        return;
      }
      fields.push([name, value]);
    });
    parser.on('file', (name, stream, info) => {
      if (out !== undefined || failed !== undefined) {
        // S3 ignores what follows the file; drain it so parsing can finish.
        stream.resume();
        return;
      }
      out = new PassThrough();
      const piped = out;
      // The caller attaches its own handlers only after checking the fields; until then an
      // error is kept (stream.errored) rather than thrown as an unhandled 'error' event.
      piped.on('error', () => {});
      // A consumer that gives up on the file (a refused policy, a size limit) must not stall the parser.
      piped.on('close', () => {
        if (fileEnded && formEnded) return;
        stream.unpipe(piped);
        stream.resume();
      });
      stream.on('end', () => {
        fileEnded = true;
        maybeEnd();
      });
      stream.on('error', (err: unknown) => fail(malformed(errorText(err))));
      stream.pipe(out, { end: false });
      resolve({ fields, fileField: name, filename: info.filename ?? '', fileMimeType: info.mimeType, file: out });
    });
    parser.on('close', () => {
      formEnded = true;
      if (out === undefined) fail(new S3Error('IncorrectNumberOfFilesInPostRequest'));
      else maybeEnd();
    });
    parser.on('error', (err) => fail(malformed(errorText(err))));
    body.on('error', (err) => fail(malformed(errorText(err))));
    body.pipe(parser);
  });
}
