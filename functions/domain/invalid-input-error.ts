import type { z } from 'zod';

/** Input that failed its schema: says where (source), which fields, and what was wrong. */
export class InvalidInputError extends Error {
  override readonly name = 'InvalidInputError';
  constructor(
    readonly source: string,
    readonly problems: string[],
    options?: { cause?: unknown },
  ) {
    super(`${source}: ${problems.join('; ')}`, options);
  }

  static fromZod(source: string, error: z.ZodError): InvalidInputError {
    return new InvalidInputError(source, describeZodIssues(error), { cause: error });
  }
}

/** One line per problem: `field.path: what was expected`. Never echoes the offending value (it may be personal data). */
export function describeZodIssues(error: z.ZodError): string[] {
  return error.issues.map((issue) => {
    const path = issue.path.length ? issue.path.map(String).join('.') : '(root)';
    return `${path}: ${issue.message}`;
  });
}

/** Parse with a schema or throw an InvalidInputError naming the source. */
export function parseOrThrow<S extends z.ZodType>(schema: S, input: unknown, source: string): z.infer<S> {
  const result = schema.safeParse(input);
  if (!result.success) throw InvalidInputError.fromZod(source, result.error);
  return result.data;
}
