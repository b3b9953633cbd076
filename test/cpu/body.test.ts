// Reading a body into one growing buffer (src/http/body.ts readBytes): every byte is read whatever
// Content-Length says, a body of exactly the limit is read and one byte more is a 413, and a body
// built from a caller's own (non-byte) stream is read chunk by chunk the same way.
import { describe, expect, it } from "vitest";
import { ApiError } from "../../src/http/errors";
import { readJsonBody } from "../../src/http/body";

const json = (body: BodyInit, headers: Record<string, string> = {}) =>
  new Request("http://localhost/", { method: "POST", headers: { "content-type": "application/json", ...headers }, body });

/** A JSON string of exactly `bytes` bytes (a quoted run of "x"). */
const ofBytes = (bytes: number) => `"${"x".repeat(bytes - 2)}"`;

async function status(request: Request, limit?: number): Promise<number | "read"> {
  try {
    await readJsonBody(request, limit);
    return "read";
  } catch (error) {
    if (error instanceof ApiError) return error.status;
    throw error;
  }
}

describe("readJsonBody's byte reading", () => {
  it("reads exactly the limit, and refuses one byte more, with and without Content-Length", async () => {
    for (const limit of [1, 100, 64 * 1024, 64 * 1024 + 1, 300_000]) {
      const fits = ofBytes(Math.max(limit, 2));
      if (fits.length === limit) {
        expect(await status(json(fits), limit)).toBe("read");
        expect(await status(json(fits, { "content-length": String(limit) }), limit)).toBe("read");
      }
      expect(await status(json(ofBytes(limit + 1 < 2 ? 2 : limit + 1)), limit)).toBe(413);
    }
  });

  it("reads every byte of a body longer than its Content-Length says, up to the limit", async () => {
    const text = JSON.stringify({ a: "é".repeat(200_000) });
    const { value, text: read } = await readJsonBody(json(text, { "content-length": "10" }));
    expect(read).toBe(text);
    expect(value).toEqual({ a: "é".repeat(200_000) });
  });

  it("refuses a declared length past the limit before reading", async () => {
    expect(await status(json("{}", { "content-length": String(5 * 1024 * 1024 + 1) }))).toBe(413);
  });

  it("reads a body from a caller's own stream, in many small chunks", async () => {
    const text = JSON.stringify({ list: Array.from({ length: 5000 }, (_, i) => `item ${i} ☃`) });
    const bytes = new TextEncoder().encode(text);
    let at = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (at >= bytes.length) return controller.close();
        controller.enqueue(bytes.slice(at, (at += 1000)));
      },
    });
    const { text: read } = await readJsonBody(json(stream));
    expect(read).toBe(text);
    const big = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode(ofBytes(101)));
        controller.close();
      },
    });
    expect(await status(json(big), 100)).toBe(413);
  });
});
