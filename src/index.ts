import { createApp } from "./app";
import type { Env } from "./env";
import { consumeEvents } from "./events/consumer";
import type { EventMessage } from "./events/messages";
import { sweep } from "./events/sweep";
import { backfillEnvironments } from "./write/backfill";
import { completenessEnvironments } from "./write/completeness";

export { ClientWriteLock } from "./write/client-write-lock";

const app = createApp();

export default {
  fetch: app.fetch,
  // Change events (API.md §12): the queue's consumer, and the cron sweep that sends what a write left unsent;
  // the cron also writes the creation entries of clients stored before history (write/backfill.ts) and
  // computes the completeness column where it is unknown or a document expired (write/completeness.ts).
  queue: (batch, env) => consumeEvents(batch, env),
  scheduled: async (controller, env) => {
    await sweep(env, controller.scheduledTime);
    await backfillEnvironments(env);
    // The completeness column of clients stored before it existed, and of those whose counted document expired (API.md §16).
    await completenessEnvironments(env, new Date(controller.scheduledTime));
  },
} satisfies ExportedHandler<Env, EventMessage>;
