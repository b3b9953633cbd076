// What the project's commands (npm run apikey, npm run purge) share: their usage errors, the
// --env option, and their exit codes — 0 done, 1 the work failed (said why), 2 a wrong command line
// (said why, with the usage).
import { CommandError, type EnvironmentName } from "./wrangler.ts";

/** A wrong command line: exit 2, with the usage. */
export class UsageError extends Error {}

export function parseEnvironment(value: string | undefined): EnvironmentName {
  if (value === undefined) throw new UsageError("--env is required: add --env test (the local test database) or --env live");
  if (value !== "test" && value !== "live") throw new UsageError(`--env must be test or live, not "${value}": use --env test or --env live`);
  return value;
}

/** What a parseArgs refusal (an unknown option, a missing value) is followed by. */
export function argumentsRefused(command: string, error: unknown, usage: string): number {
  console.error(`Error: ${(error as Error).message}. Check the spelling against the usage below (or \`${command} -- --help\`), then run it again.\n\n${usage}`);
  return 2;
}

/** Runs a command's work and gives its exit code; an error that is neither kind is thrown on. */
export async function exitCodeOf(usage: string, work: () => Promise<number>): Promise<number> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`Error: ${error.message}\n\n${usage}`);
      return 2;
    }
    if (error instanceof CommandError) {
      console.error(`Error: ${error.message}`);
      console.error(
        "Nothing was changed by the step that failed. Fix what the message names (for --remote: `npx wrangler login`, and the " +
          "database ids in wrangler.toml; locally: stop a command holding the database), then run the same command again.",
      );
      return 1;
    }
    throw error;
  }
}
