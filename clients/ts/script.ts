// What a tool builder does with a TypeScript client from /api/schema/: types from openapi-typescript, requests
// through openapi-fetch, no edit to either. Beside this file: api.d.ts, generated with
//   npx openapi-typescript "$TRACKER_URL/api/schema/" -o api.d.ts
// Run with TRACKER_URL, TRACKER_USERNAME and TRACKER_PASSWORD set; it prints one JSON object describing what it
// read and wrote, which tests/test_clients.py checks against the fixtures (the same walk as python_script.py).
import createClient from "openapi-fetch";
import type { components, paths } from "./api.js";

type Citation = components["schemas"]["Citation"];
type Statement = components["schemas"]["Statement"];

const ACTOR = "united-states";
const DATE_AFTER = "2025-11-01";
const DATE_BEFORE = "2025-11-15";
const STATUSES: ("announced" | "in_progress")[] = ["announced", "in_progress"];
const NEW_SLUG = "typescript-client-statement";

function env(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
}

// The parsed body of an expected answer; anything else stops the script with what the server said.
function ok<T>(result: { data?: T; error?: unknown; response: Response }, status = 200): T {
  if (result.response.status !== status || result.data === undefined) {
    throw new Error(`${result.response.status} instead of ${status}: ${JSON.stringify(result.error)}`);
  }
  return result.data;
}

const url = env("TRACKER_URL");
// The media types this script reads. openapi-fetch types a response as every media type its schema declares; a
// record thinned by `fields=` is declared as application/vnd.tracker.sparse+json (no property required), which
// this script never asks for, so it reads whole records only.
type Read = "application/json" | "text/csv" | "application/x-ndjson";
const reader = createClient<paths, Read>({ baseUrl: url });

// Every statement, page after page, following each page's `next` link by its cursor.
async function walkStatements(): Promise<Statement[]> {
  const statements: Statement[] = [];
  let cursor: string | undefined;
  for (;;) {
    const page = ok(await reader.GET("/api/v1/statements/", { params: { query: { page_size: 10, cursor } } }));
    statements.push(...page.results);
    if (!page.next) return statements;
    cursor = new URL(page.next).searchParams.get("cursor") ?? undefined;
  }
}

const citationOf = (c: Citation) => ({ source: c.source, excerpt: c.excerpt });

async function main(): Promise<void> {
  const out: Record<string, unknown> = {
    asked: { actor: ACTOR, date_after: DATE_AFTER, date_before: DATE_BEFORE, statuses: STATUSES },
  };

  const statements = await walkStatements();
  out.statements = statements.map((s) => s.slug);

  const events = ok(
    await reader.GET("/api/v1/events/", {
      params: { query: { actor: [ACTOR], date_after: DATE_AFTER, date_before: DATE_BEFORE, page_size: 100 } },
    }),
  );
  out.events = { count: events.count, slugs: events.results.map((e) => e.slug) };

  const pledges = ok(await reader.GET("/api/v1/pledges/", { params: { query: { status: STATUSES, page_size: 100 } } }));
  out.pledges = { count: pledges.count, slugs: pledges.results.map((p) => p.slug) };

  const exported = ok(
    await reader.GET("/api/v1/statements/export/", { params: { query: { format: "csv" } }, parseAs: "text" }),
  );
  out.csv = { text: exported };

  const pledge = ok(
    await reader.GET("/api/v1/pledges/{slug}/", { params: { path: { slug: pledges.results[0]!.slug } } }),
  );
  out.status_history = {
    pledge: pledge.slug,
    steps: pledge.status_history.map((step) => ({ status: step.status, note: step.note })),
  };

  // Writes, with a token. The evidence is taken from what was read: two citations of existing statements.
  const login = ok(
    await reader.POST("/api/v1/auth/token/", {
      body: { username: env("TRACKER_USERNAME"), password: env("TRACKER_PASSWORD") },
    }),
  );
  const writer = createClient<paths, Read>({ baseUrl: url, headers: { Authorization: `Bearer ${login.token}` } });
  const [first, second] = [statements[0]!.citations[0]!, statements[1]!.citations[0]!];
  const body: components["schemas"]["StatementWriteRequest"] = {
    slug: NEW_SLUG,
    speaker: statements[0]!.speaker.slug,
    text: "A paraphrase written by a generated client.",
    quote_type: "reported",
    citations: [citationOf(first)],
    // The same speaker on the same excerpt as a recorded statement: a near-duplicate, which force confirms.
    force: true,
  };
  const created = await writer.POST("/api/v1/statements/", { body });
  ok(created, 201);
  const createdEtag = created.response.headers.get("ETag") ?? "";
  const updated = await writer.PUT("/api/v1/statements/{slug}/", {
    params: { path: { slug: NEW_SLUG }, header: { "If-Match": createdEtag } },
    body: { ...body, speaker_role: "as updated by a generated client" },
  });
  ok(updated);
  const cited = ok(
    await writer.POST("/api/v1/statements/{slug}/citations/", {
      params: { path: { slug: NEW_SLUG } },
      body: citationOf(second),
    }),
    201,
  );
  const final = ok(await reader.GET("/api/v1/statements/{slug}/", { params: { path: { slug: NEW_SLUG } } }));
  const history = ok(
    await reader.GET("/api/v1/statements/{slug}/history/", { params: { path: { slug: NEW_SLUG } } }),
  );
  out.written = {
    etags: [createdEtag, updated.response.headers.get("ETag")],
    speaker_role: final.speaker_role,
    citation: citationOf(cited),
    citations: final.citations.map(citationOf),
    history: history.results.map((h) => ({ type: h.history_type, version: h.version })),
    expected_citations: [first, second].map(citationOf),
  };
  process.stdout.write(JSON.stringify(out));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
