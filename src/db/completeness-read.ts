// The read of GET /clients/{id}/completeness (API.md §16): the client's graph and the graphs of its
// controlling beneficiaries, in ONE round trip shared with the API key lookup (http/auth.ts
// readWithKey). Every statement selects by an indexed key (db/graph.ts), so rows read depend on the
// client's graph and its beneficiaries', never on the database.
import { and, eq, inArray } from "drizzle-orm";
import { tenantFilter, type Db, type Read, type Tenant } from "./database";
import { assembleGraphs, GRAPH_STATEMENT_COUNT, graphStatements, selectClientById } from "./graph";
import type { ClientGraph } from "./mappers";
import { clientLinks } from "./schema";

export interface CompletenessGraphs {
  graph: ClientGraph;
  /** The graphs of the clients it links to as controlling_beneficiary, by id. */
  beneficiaries: Map<string, ClientGraph>;
}

export function completenessRead(db: Db, tenantId: Tenant, id: string): Read<CompletenessGraphs | null> {
  const client = selectClientById(db, tenantId, id);
  const beneficiaryIds = db
    .select({ id: clientLinks.childClientId })
    .from(clientLinks)
    .where(
      and(
        tenantFilter(clientLinks.tenantId, tenantId),
        inArray(clientLinks.parentClientId, client),
        eq(clientLinks.relationshipType, "controlling_beneficiary"),
      ),
    );
  return {
    statements: [...graphStatements(db, tenantId, client), ...graphStatements(db, tenantId, beneficiaryIds)],
    parse: (results) => {
      const graph = assembleGraphs(results.slice(0, GRAPH_STATEMENT_COUNT))[0];
      if (!graph) return null;
      const beneficiaries = new Map(assembleGraphs(results.slice(GRAPH_STATEMENT_COUNT)).map((g) => [g.client.id, g]));
      return { graph, beneficiaries };
    },
  };
}
