// The two ways the CLI fails: a command that was used wrongly (exit code 2)
// and one that was used rightly but could not be carried out (exit code 1).

/** The command line itself is wrong: unknown command or flag, missing argument. */
export class UsageError extends Error {}

/** The command could not be done: the server refused it, the server is down, a local file is missing. */
export class CliError extends Error {}

/** A refusal from the server's FS API, with its HTTP status and error code. */
export class ApiError extends CliError {
  readonly status: number;
  readonly code: string;

  constructor(status: number, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}
