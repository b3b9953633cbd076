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

/** A command of a multi-command script: its work, and the options it takes. */
export interface Subcommand<V> {
  run: (values: V) => Promise<void>;
  allowed: readonly string[];
}

/**
 * Runs the command named by the first positional: exit 2 (with the usage) for a missing or unknown
 * command, extra arguments, or an option the command does not take; else the command's exit code.
 * `script` names it in messages ("npm run apikey"), `example` is a command line to suggest.
 */
export function dispatch<V extends Record<string, unknown>>(
  script: string,
  usage: string,
  commands: Record<string, Subcommand<V>>,
  values: V,
  positionals: readonly string[],
  example: string,
): Promise<number> | number {
  const names = Object.keys(commands);
  const list = names.length > 1 ? `${names.slice(0, -1).join(", ")} or ${names.at(-1)}` : names.join("");
  const [command, ...extra] = positionals;
  if (command === undefined) {
    console.error(`Error: a command is required: ${script} -- ${list} (e.g. ${example})\n\n${usage}`);
    return 2;
  }
  if (!Object.hasOwn(commands, command)) {
    console.error(`Error: unknown command "${command}": use ${list} (e.g. ${example})\n\n${usage}`);
    return 2;
  }
  if (extra.length > 0) {
    console.error(`Error: unexpected argument(s): ${extra.join(" ")}\n\n${usage}`);
    return 2;
  }
  const { run, allowed } = commands[command]!;
  const misplaced = Object.keys(values).filter((option) => !allowed.includes(option));
  if (misplaced.length > 0) {
    console.error(`Error: ${command} does not take ${misplaced.map((o) => `--${o}`).join(", ")}\n\n${usage}`);
    return 2;
  }
  return exitCodeOf(usage, async () => {
    await run(values);
    return 0;
  });
}
