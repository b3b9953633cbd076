import { createApp } from "./app";
import type { Env } from "./env";
import { consumeEvents } from "./events/consumer";
import type { EventMessage } from "./events/messages";
import { sweep } from "./events/sweep";
import { backfillEnvironments } from "./write/backfill";

export { ClientWriteLock } from "./write/client-write-lock";

const app = createApp();

export default {
  fetch: app.fetch,
  // Change events (API.md §12): the queue's consumer, and the cron sweep that sends what a write left unsent;
  // the cron also writes the creation entries of clients stored before history (write/backfill.ts).
  queue: (batch, env) => consumeEvents(batch, env),
  scheduled: async (controller, env) => {
    await sweep(env, controller.scheduledTime);
    await backfillEnvironments(env);
  },
} satisfies ExportedHandler<Env, EventMessage>;
