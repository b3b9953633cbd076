// Recognising the constraint failures that a write batch uses as signals (D1 reports them as
// "D1_ERROR: <sqlite message>"; the batch has rolled back by then).

export function messageOf(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = (error as { cause?: unknown }).cause;
  return `${error.message} ${cause instanceof Error ? cause.message : ""}`;
}

/** A UNIQUE constraint failed (an externalId taken concurrently); `table` narrows it to one table. */
export function isUniqueViolation(error: unknown, table?: string): boolean {
  const message = messageOf(error);
  return message.includes("UNIQUE constraint failed") && (table === undefined || message.includes(`${table}.`));
}

/** The write batch's precondition failed: the graph changed since it was read (see write_guards). */
export function isStaleGraph(error: unknown): boolean {
  return messageOf(error).includes("CHECK constraint failed: stale_graph");
}

/** A foreign key failed: a client the batch writes to or links was deleted meanwhile. */
export function isForeignKeyViolation(error: unknown): boolean {
  return messageOf(error).includes("FOREIGN KEY constraint failed");
}
