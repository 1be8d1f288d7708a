/** The report cannot read what it was pointed at; the message says what to do. Exit code 2. */
export class ReportSourceError extends Error {
  override readonly name = 'ReportSourceError';
}
