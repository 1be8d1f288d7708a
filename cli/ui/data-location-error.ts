/** Where the data should come from (a --data-dir, --region and --table) is wrong: a usage error. */
export class DataLocationError extends Error {
  override readonly name = 'DataLocationError';
  readonly exitCode = 2;
}
