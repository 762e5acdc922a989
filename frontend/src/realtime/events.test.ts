// @vitest-environment node
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

import openapiTS, { astToString, COMMENT_HEADER } from "openapi-typescript";
import { describe, expect, it } from "vitest";

import type { EventOf } from "./events";

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

describe("generated event types", () => {
  it("schema.d.ts is fresh: regenerating it from realtime-events.json changes nothing", async () => {
    // realtime-events.json itself is checked against realtime/catalogue.py by the Python tests.
    const ast = await openapiTS(new URL("../../realtime-events.json", import.meta.url));
    const generated = COMMENT_HEADER + astToString(ast);
    expect(generated).toBe(readFileSync(here("./schema.d.ts"), "utf8"));
  }, 20_000);

  it("gives handlers typed payloads discriminated by type", () => {
    const seen: string[] = [];
    const handle = (event: EventOf<"booking.cancelled" | "chat.read">) => {
      // No casts: the payload type follows from the event type.
      if (event.type === "booking.cancelled") seen.push(`${event.data.id}:${event.data.refund_amount}`);
      else seen.push(`${event.data.conversation_id}:${event.data.up_to_seq}`);
    };
    handle({ v: 1, type: "chat.read", id: "a", ts: "", data: { conversation_id: 3, reader_id: 1, up_to_seq: 9, read_at: "" } });
    expect(seen).toEqual(["3:9"]);
  });
});
